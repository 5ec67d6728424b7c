"""The README's two set-up commands are the contract; CI must run them verbatim."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands():
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```(?:bash|sh)\n(.+?)\n```", section, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    commands = readme_commands()
    assert len(commands) == 2, commands
    assert all("\n" not in c for c in commands)
    assert "voxelize-cy demo" in commands[0]
    assert ".[test]" in commands[1] and commands[1].rstrip().endswith("pytest")


def test_ci_runs_the_readme_commands_verbatim():
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    for command in readme_commands():
        assert command in ci, f"{command!r} not a line of .ci/run"


def test_readme_is_a_front_page_under_8000_characters():
    text = (ROOT / "README.md").read_text()
    assert len(text) < 8000, len(text)


def test_every_link_in_the_readme_resolves():
    """Relative links name files of the repository; there are no others."""
    text = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert len(links) >= 15
    for link in links:
        assert not re.match(r"[a-z]+://", link), f"{link}: only links into the repository"
        path = link.split("#", 1)[0]
        assert (ROOT / path).exists(), f"README links to {link}, which does not exist"


def test_the_readme_example_runs(monkeypatch):
    import numpy as np

    monkeypatch.chdir(ROOT)
    text = (ROOT / "README.md").read_text()
    section = text.split("## Example", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```python\n(.+?)\n```", section, flags=re.S).group(1)
    assert len([line for line in block.splitlines() if line.strip()]) <= 12
    namespace = {}
    exec(compile(block, "README.md", "exec"), namespace)
    assert namespace["image"].shape == (4, 24, 24, 24)
    assert namespace["batch"].shape == (8, 4, 24, 24, 24)
    assert np.isfinite(namespace["grad"]).all()


def test_the_speed_tables_come_from_the_results_files():
    """Every number in the README's speed tables is in the results file of its
    table (the first: benchmark.py's; the ones against libmolgrid:
    bench_molgrid.py's and bench_gnina.py's), as the benchmark printed it or
    rounded from it."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Speed against the peers", 1)[1].split("\n## ", 1)[0]
    tables = re.findall(r"(\| workload[^\n]*\n(?:\|[^\n]*\n)+)", section)
    assert len(tables) == 3
    for table, name in zip(tables, ("benchmark.txt", "bench_molgrid.txt", "bench_gnina.txt")):
        assert ("libmolgrid" in table.splitlines()[0]) == (name != "benchmark.txt")
        printed = [float(v) for v in re.findall(
            r"\d+(?:\.\d+)?", (ROOT / "profiling" / "results" / name).read_text())]
        rows = table.strip().splitlines()[2:]
        assert len(rows) >= (1 if name == "bench_gnina.txt" else 3)
        for row in rows:
            for cell in row.split("|")[2:]:
                for number in re.findall(r"\d[\d,]*(?:\.\d+)?", cell):
                    value = float(number.replace(",", ""))
                    decimals = len(number.split(".")[1]) if "." in number else 0
                    assert any(abs(v - value) <= 0.5 * 10 ** -decimals for v in printed), \
                        f"{number} ({row.split('|')[1].strip()}) is not in {name}"
