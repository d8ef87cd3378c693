"""One kept kernel per build process: notebooks run in it one after another, each in a clean namespace."""
import json

import nbformat
import papermill
import pytest

from pplib.build import execute

pytestmark = pytest.mark.slow  # builds reports or runs notebooks: not in the inner loop (-m "not slow")


def _notebook(path, *sources):
    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                            "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell("label = 'default'", metadata={"tags": ["parameters"]}),
                *(nbformat.v4.new_code_cell(s) for s in sources)]
    nbformat.write(nb, path)
    return path


REPORT = ("import json, os\n"
          "print(json.dumps({'pid': os.getpid(), 'cwd': os.getcwd(), 'label': label,\n"
          "                  'leftover': 'leftover' in globals(), 'setting': os.environ.get('PPLIB_TEST_SETTING')}))")


def _report(executed) -> dict:
    return json.loads(executed.cells[-1].outputs[0]["text"])


def test_notebooks_share_the_kernel_and_its_client_but_never_their_variables(tmp_path, monkeypatch):
    first = _notebook(tmp_path / "first.ipynb", "leftover = 'from the first notebook'", REPORT)
    second = _notebook(tmp_path / "second.ipynb", REPORT)
    (tmp_path / "one").mkdir(), (tmp_path / "two").mkdir()
    monkeypatch.setenv("PPLIB_TEST_SETTING", "before")
    a = _report(execute._execute(first, tmp_path / "a.ipynb", {"label": "A"}, tmp_path / "one"))
    client = execute._kept().client
    monkeypatch.setenv("PPLIB_TEST_SETTING", "after")  # a setting changed between notebooks reaches the kernel
    b = _report(execute._execute(second, tmp_path / "b.ipynb", {"label": "B"}, tmp_path / "two"))
    assert a["pid"] == b["pid"]  # one kernel
    assert execute._kept().client is client and client is not None  # one connection to it
    assert (a["label"], b["label"]) == ("A", "B")
    assert a["leftover"] and not b["leftover"]  # the namespace is emptied between notebooks
    assert (a["cwd"], b["cwd"]) == (str(tmp_path / "one"), str(tmp_path / "two"))
    assert (a["setting"], b["setting"]) == ("before", "after")
    written = nbformat.read(tmp_path / "b.ipynb", as_version=4)  # the executed notebook, written once at the end
    assert execute.RESET_TAG not in [c.id for c in written.cells]
    assert json.loads(written.cells[-1].outputs[0]["text"]) == b


def test_a_failing_cell_keeps_the_kernel_for_the_next_notebook(tmp_path):
    failing = _notebook(tmp_path / "failing.ipynb", "raise ValueError('a bad cell')")
    healthy = _notebook(tmp_path / "healthy.ipynb", REPORT)
    with pytest.raises(papermill.PapermillExecutionError, match="a bad cell"):
        execute._execute(failing, tmp_path / "f.ipynb", {}, tmp_path)
    assert "a bad cell" in (tmp_path / "f.ipynb").read_text(encoding="utf-8")  # the failed run is kept to read
    client = execute._kept().client
    assert _report(execute._execute(healthy, tmp_path / "h.ipynb", {}, tmp_path))["label"] == "default"
    assert execute._kept().client is client
