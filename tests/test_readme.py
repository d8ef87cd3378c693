from pplib.readme import data_dictionary_is_current, readme_data_dictionary
from pplib.records.schemas import SCHEMAS


def test_readme_data_dictionary_matches_the_schemas():
    assert data_dictionary_is_current(), "run `pplib data-dictionary --update-readme`"


def test_readme_lists_every_canonical_column():
    block = readme_data_dictionary()
    for schema in SCHEMAS.values():
        for name in schema.names:
            assert f"| `{name}` |" in block
