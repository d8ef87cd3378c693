"""Key findings written from the Nottinghamshire sample: tested before claimed, and never a share of a withheld count."""
import re

import pytest

from pplib.config import load_locality
from pplib.measures import registers
from pplib.paths import LOCALITIES_DIR
from pplib.records.dataset import load_locality_data
from pplib.report import findings


@pytest.fixture(scope="module")
def notts():
    return load_locality_data(load_locality(LOCALITIES_DIR / "nottinghamshire"))


def withholding(*cells):
    """A partner-style `number`: '[c]' (in a span, as a section writes it) for the chosen cells, each given as
    (measure, conditions); every other count as recorded. Records what was asked."""
    asked = []

    def number(value, measure, **conditions):
        asked.append((measure, conditions))
        shown = "[c]" if (measure, conditions) in cells else f"{int(value):,}"
        return f'<span class="pp-n">{shown}</span>'
    number.asked = asked
    return number


def texts(found):
    return [f.text for f in found]


def test_labour_findings_name_car_washes_wages_and_the_quarter_rise(notts):
    found = findings.type_findings(notts, "labour", first="2023-Q1", last="2023-Q4")
    setting = next(f for f in found if f.kind == "setting")
    assert "car wash (24 crimes, 16% of 147 labour exploitation crimes)" in setting.text
    assert setting.claimed and "car wash" in setting.topics
    assert any("wages withheld or controlled: in 82 crimes, 56% of the 147" in t for t in texts(found))
    rise = next(f for f in found if f.kind == "change")
    assert rise.text.startswith("Recorded labour exploitation crimes rose in 2023-Q4: 21 labour exploitation crimes "
                                "in 2023-Q4 against 10 to 14 in each of the four quarters before it")
    assert "exact Poisson test, p = 0.031" in rise.text and "It is almost certain (a 95–100% chance" in rise.text


def test_a_change_is_said_to_rise_or_fall_only_when_tested(notts):
    every = findings.local_findings(notts) + [findings.year_change(notts)]
    for exploitation_type in ("labour", "criminal", "sexual"):
        every += findings.type_findings(notts, exploitation_type)
    for finding in every:
        if re.search(r"\b(rose|fell)\b", finding.text):
            assert finding.claimed and finding.kind == "change" and re.search(r"p = 0\.0[0-4]|p < 0\.001",
                                                                              finding.text)
    # all crimes: 146 in 2023 against 139 in 2022 is no change beyond chance
    assert findings.year_change(notts).text.startswith("Recorded crimes were about the same in 2023 as in 2022")
    quarter = findings.quarter_change(notts)
    assert "about the same" in quarter.text and not quarter.claimed
    # the quiet quarter of a type says nothing when only a spike is news
    assert findings.quarter_change(notts, exploitation_type="criminal", only_beyond_chance=True) is None


def test_partner_edition_skips_a_finding_resting_on_a_withheld_count(notts):
    car_wash = ("crimes", {"primary_type": "labour", "sector": "car wash"})
    assert findings.top_sector(notts, "labour", withholding(car_wash)) is None
    labour = ("crimes", {"primary_type": "labour"})
    number = withholding(labour)
    found = findings.type_findings(notts, "labour", number, "2023-Q1", "2023-Q4")
    assert not any(f.kind in ("setting", "theme") for f in found)  # both quote a share of the withheld total
    assert all("[c]" not in f.text for f in found)
    assert labour in number.asked
    quarter = ("crimes", {"primary_type": "labour", "quarter": "2023-Q2"})
    assert findings.quarter_change(notts, withholding(quarter), "labour") is None
    victims = ("victims", {})
    assert findings.nationality(notts, withholding(victims)) is None
    assert findings.against_national(notts, "sexual", withholding(("referrals", {"primary_type": "sexual"})),
                                     "2023-Q1", "2023-Q4") is None


def test_partner_findings_never_quote_a_share_beside_a_withheld_count(notts):
    """Withhold every count under 30 (as a strict partner edition might): no finding carries a [c] with a share."""
    def number(value, measure, **conditions):
        return f'<span class="pp-n">{"[c]" if 0 < value < 30 else f"{int(value):,}"}</span>'
    every = findings.local_findings(notts, number)
    for exploitation_type in ("labour", "criminal", "sexual", "domestic servitude"):
        every += findings.type_findings(notts, exploitation_type, number)
    assert every and all("[c]" not in f.text for f in every)
    assert not any(f.kind == "theme" and "domestic servitude" in f.text for f in every)  # 9 of 10: withheld
    assert findings.quarter_change(notts, number, "labour", only_beyond_chance=True) is None  # 10 to 14 withheld


def test_a_rounded_count_gives_no_share(notts):
    def rounded(value, measure, **conditions):
        return f"{5 * round(value / 5):,}"
    assert findings.top_sector(notts, "labour", rounded) is None  # 24 shows as 25: no share of it


def test_no_hotspot_in_the_sample_is_said_plainly(notts):
    assert findings.district_hotspots(notts) == []
    assert findings.hotspot_lines(notts, types=["labour"])[0].startswith("No district's rate of recorded crimes")


def test_strongest_findings_lead_the_summary_and_are_all_tested(notts):
    best = findings.strongest(notts, first="2023-Q1", last="2023-Q4")
    assert len(best) == 6 and all(f.claimed for f in best)
    assert len({f.kind for f in best}) >= 5  # one of each kind before a second of any
    strengths = [f.strength for f in best]
    lines = findings.key_insights(notts, year=2023, compare_from="2023-Q1", compare_to="2023-Q4")
    assert all(f.text in lines for f in best)
    assert min(strengths) > 0.95


def test_recommendations_are_tied_to_findings_or_themes(notts):
    actions = registers.register(notts, "actions")
    best = findings.type_findings(notts, "labour", first="2023-Q1", last="2023-Q4")
    links = findings.recommendation_links(actions, best)
    # Nottinghamshire's open High priority actions are about Duty to Notify and data: no labour finding
    assert links["recommendations"][0].endswith("Serves the theme Identification; no key finding above tests it.")
    car_wash = next(line for line in links["unanswered"] if line.startswith("Car wash the top setting"))
    assert "only by a lower priority action: Run two multi-agency days of action on hand car washes" in car_wash
    # an action naming car washes answers the setting finding
    setting = next(f for f in best if f.kind == "setting")
    assert findings._answers("Labour exploitation Visit every hand car wash", setting)
    assert not findings._answers("Intelligence Agree a single data return", setting)
