"""Mutation testing of one business module with mutmut 3: do the tests notice wrong code?

    nice -n 19 .venv/bin/python tools/mutation.py --module bookings
    nice -n 19 .venv/bin/python tools/mutation.py --module bookings --rerun survived,timeout
    .venv/bin/python tools/mutation.py --module bookings --report-only --show survived
    nice -n 19 .venv/bin/python tools/mutation.py --module exports --rerun survived --rerun-only

Not part of CI: a module takes from a quarter of an hour (auth) to several hours (results:
1,300 mutants, each running the 10-60 tests that reach its function) on two cores.
Each module runs in its own scratch copy of the project (.mutation/<module>/, ignored by
git) with a setup.cfg written here, so its mutants and cached results stay apart from the
others' and from the work tree. mutmut runs one child process unless --children says
more: the machine is shared with benchmarks. Its timeouts are CPU-time limits, so a
process stopped for a while (SIGSTOP) does not time out; a timeout can still be rerun
with --rerun timeout.

A long run carries on in a later session, on another machine: --save-state copies
mutmut's verdicts and its test map (the .meta files and mutmut-stats.json, a few hundred
KB of JSON) to tools/mutation-state/<module>/, which is committed; a scratch copy made
afresh starts from them. mutmut then tests only the mutants not yet tested and those of
functions changed since (it compares each function's hash); a changed test list in
MODULES starts the module again from nothing.

A string mutant is one whose diff changes nothing but string literals ("XXabcXX"); the
figure that counts is the share of NON-string mutants killed: a changed flash message or
log line is rarely worth a test, a deleted "where session = ..." always is. The report
prints both, with the settings the run used. Equivalent mutants (no observable change)
are marked in the source with `# pragma: no mutate` and a reason, sparingly.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tokenize
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRATCH = ROOT / ".mutation"
STATE = ROOT / "tools" / "mutation-state"
# What a test run needs from the project; everything else stays out of the scratch copy.
NEEDED = ("webapp", "tests", "templates", "migrations", "config.py", "wsgi.py", "pyproject.toml")
TESTS_SKIPPED = "not browser and not slow"  # no Chromium child, no worker processes in a mutant run

# module: (files mutated, tests that exercise them). The test lists keep mutmut's first
# full run (which maps each test to the functions it calls) to the tests that matter.
MODULES: dict[str, tuple[list[str], list[str]]] = {
    "bookings": (
        ["webapp/bookings/services.py"],
        ["tests/test_bookings.py", "tests/test_booking_email.py", "tests/test_booking_concurrency.py",
         "tests/test_checkin.py", "tests/test_sessions.py", "tests/test_neighbours.py", "tests/test_booking_rules.py",
         "tests/test_reminders.py", "tests/test_retention.py", "tests/test_session_message.py"],
    ),
    "exports": (
        ["webapp/exports/workbook.py", "webapp/exports/rows.py", "webapp/exports/csv_files.py",
         "webapp/exports/builds.py"],
        ["tests/test_exports.py", "tests/test_workbook_builds.py", "tests/test_unsafe_characters.py",
         "tests/test_neighbours.py", "tests/test_results_privacy.py", "tests/test_themes.py",
         "tests/test_one_word.py", "tests/test_response_exclusions.py", "tests/test_actions.py",
         "tests/test_staff.py"],
    ),
    "auth": (
        ["webapp/auth/services.py"],
        ["tests/test_auth.py", "tests/test_accounts.py", "tests/test_account_emails.py", "tests/test_cli_users.py",
         "tests/test_sign_in_hardening.py", "tests/test_security.py", "tests/test_boundaries.py",
         "tests/test_account_rules.py",
         "tests/test_oidc.py"],
    ),
    "results": (
        ["webapp/results/services.py", "webapp/results/totals.py"],
        ["tests/test_results.py", "tests/test_results_rules.py", "tests/test_results_privacy.py",
         "tests/test_results_totals.py",
         "tests/test_presenter.py", "tests/test_one_word.py", "tests/test_response_exclusions.py",
         "tests/test_neighbours.py", "tests/test_exports.py", "tests/test_themes.py",
         "tests/test_feedback_builder.py"],
    ),
    "feedback": (
        # The form builder, the default form, the phone's read model, reading and storing
        # answers, codes, steps: every feedback module but the views, forms and models.
        ["webapp/feedback/*.py"],
        ["tests/test_feedback_builder.py", "tests/test_feedback_form.py", "tests/test_feedback_form_revisions.py",
         "tests/test_feedback_qr.py", "tests/test_feedback_steps.py", "tests/test_form_properties.py",
         "tests/test_boundaries.py", "tests/test_one_word.py", "tests/test_hostile_input.py"],
    ),
}
NOT_MUTATED = ["webapp/feedback/views.py", "webapp/feedback/forms.py", "webapp/feedback/models.py",
               "webapp/feedback/__init__.py"]
KILLED = {"killed", "caught by type check"}
# Equivalent mutants: a surviving mutant whose changed lines match one of these makes no
# observable difference, for the reason given; it is counted apart, not as a survivor.
# Only survivors are looked at: one the tests kill was not equivalent after all.
EQUIVALENT = [
    (re.compile(r"execution_options\(synchronize_session="),
     "a bulk UPDATE's synchronize_session False, None or left out: the code re-reads or refreshes "
     "what it uses afterwards, so the session's copies are never read stale"),
    (re.compile(r"^\+.*func\.upper\(.*\)\.like\("),
     "lower() to upper() before a LIKE: equivalent on SQLite, whose LIKE ignores ASCII case (the mutation runs "
     "use SQLite); on PostgreSQL the search tests fail"),
    (re.compile(r"^\+.*\.limit\((None|2)\)\)?$"),
     "the LIMIT of a query read with session.scalar(), which takes the first row whatever the limit"),
    (re.compile(r"^\+.*func\.count\(None\)"),
     "count(None) is COUNT(*): the same number as counting a primary key, which is never null"),
    (re.compile(r"^\+.*\.(outer)?join\(\w+, (None)?\)"),
     "a join's ON clause left out: SQLAlchemy infers the same one from the only foreign key between the tables"),
    (re.compile(r"^\+.*return HIGHER if (mine >= theirs|row\.mean >= overall\.mean) else LOWER"),
     "> to >= where the two already differ by 15 points or half a point (results large_difference)"),
    (re.compile(r'^\+.*(count_totals\(results\.session_ids, by="session"|count_totals\(session_ids, by="group"), '
                r'(questions=None)?\)|^\+\s+compared = (None$|\[q for q in form\.questions if q\.is_choice or )'),
     "counting more questions than the ones compared: the same figures for those, read at more cost"),
    (re.compile(r"^[-+].*selectinload\("),
     "an eager load left out: the same rows, read lazily when first used (a query more, the same figures)"),
    (re.compile(r"^\+.*total\(zero, zero, answers=None\)"),
     "False to None for a flag read only as a truth value (results/totals.py _counts)"),
]


def _int_kind_dropped(changed: list[str]) -> bool:
    """A table column's kind "int" made None or left out: "int" names no number format
    (exports/workbook.py _FORMATS), so a whole number is written the same either way."""
    if len(changed) != 2 or changed[0][:1] != "-" or changed[1][:1] != "+":
        return False
    removed, added = changed[0][1:], changed[1][1:]
    kind = ', "int")'
    starts = [index for index in range(len(removed)) if removed.startswith(kind, index)]
    return any(removed[:index] + replacement + removed[index + len(kind):] == added
               for index in starts for replacement in (", None)", ", )"))


# Equivalent mutants recognised from the removed and added lines together.
EQUIVALENT_CHANGES = [
    (_int_kind_dropped, "a column's kind \"int\" dropped: it names no number format, whole numbers read the same"),
]


def setup_cfg(module: str) -> str:
    files, tests = MODULES[module]
    lines = ["[mutmut]", "source_paths = webapp", "only_mutate =", *(f"    {path}" for path in files),
             "do_not_mutate =", *(f"    {path}" for path in NOT_MUTATED),
             "also_copy =", "    templates", "    migrations", "    config.py", "    wsgi.py",
             "pytest_add_cli_args_test_selection =", *(f"    {path}" for path in tests if (ROOT / path).exists()),
             "pytest_add_cli_args =", "    -p", "    no:cacheprovider", "    -p", "    no:xdist", "    -m",
             f"    {TESTS_SKIPPED}",
             # The git checks look at the real repository, not this copy.
             "use_git_change_detection = false", ""]
    return "\n".join(lines)


def project_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout.split("\n")
    return [path for path in listed if path and path.split("/", 1)[0] in NEEDED and (ROOT / path).is_file()]


def sync(module: str, fresh: bool) -> Path:
    """The module's scratch copy, brought up to date with the work tree. Files mutmut has
    already copied into mutants/ unmutated are refreshed there too (mutmut copies them once)."""
    folder = SCRATCH / module
    if fresh and folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for path in project_files():
        source = ROOT / path
        _copy_if_changed(source, folder / path)
        inside = folder / "mutants" / path
        if inside.exists() and not mutated(module, path):  # mutmut rewrites the mutated ones itself
            _copy_if_changed(source, inside)
    (folder / "setup.cfg").write_text(setup_cfg(module))
    restore_state(module, folder)
    return folder


def _state_files(folder: Path) -> list[Path]:
    return [folder / "mutmut-stats.json", *sorted(folder.rglob("*.meta"))] if folder.exists() else []


def restore_state(module: str, folder: Path) -> None:
    """A scratch copy without results starts from the saved ones (if any)."""
    mutants, saved = folder / "mutants", STATE / module
    if (mutants / "mutmut-stats.json").exists():
        return
    for path in _state_files(saved):
        if path.exists():
            _copy_if_changed(path, mutants / path.relative_to(saved))


def save_state(module: str, folder: Path) -> None:
    """Keep the verdicts and the test map where git sees them, replacing older ones."""
    mutants, saved = folder / "mutants", STATE / module
    files = [path for path in _state_files(mutants) if path.exists()]
    if not files:
        print(f"nothing to save: {mutants} holds no results", file=sys.stderr)
        return
    shutil.rmtree(saved, ignore_errors=True)
    for path in files:
        _copy_if_changed(path, saved / path.relative_to(mutants))
    print(f"saved {len(files)} files to {saved.relative_to(ROOT)}")


def _copy_if_changed(source: Path, target: Path) -> None:
    if target.exists() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def mutated(module: str, path: str) -> bool:
    from fnmatch import fnmatch

    files, _ = MODULES[module]
    return any(fnmatch(path, pattern) for pattern in files) and path not in NOT_MUTATED


def mutmut(folder: Path, *args: str) -> int:
    """Run mutmut in the scratch folder. Every mutant's pytest reuses one test database
    template (tests/conftest.py's TEST_TEMPLATE_CACHE), made afresh for each run: building
    it took 3-4 s of each mutant's run on a loaded machine."""
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    print("$", " ".join(command), f"(in {folder.relative_to(ROOT)})", flush=True)
    template = folder / "template"
    shutil.rmtree(template, ignore_errors=True)
    return subprocess.run(command, cwd=folder, env={**os.environ, "TEST_TEMPLATE_CACHE": str(template)}).returncode


def results(folder: Path) -> list[dict]:
    """Every mutant of the last run: name, status, diff, and whether it is a string mutant.
    Read with mutmut's own functions, in a child process started in the scratch folder
    (mutmut reads its configuration from the current folder)."""
    script = (
        "import json\n"
        "from mutmut.mutation.data import SourceFileMutationData\n"
        "from mutmut.mutation.diff_apply import get_diff_for_mutant\n"
        "from mutmut.stats import status_by_exit_code\n"
        "from mutmut.utils.file_utils import walk_mutatable_files\n"
        "rows = []\n"
        "for path in walk_mutatable_files():\n"
        "    data = SourceFileMutationData(path=path)\n"
        "    data.load()\n"
        "    for name, code in data.exit_code_by_key.items():\n"
        "        rows.append({'name': name, 'path': str(path), 'status': status_by_exit_code[code],\n"
        "                     'diff': get_diff_for_mutant(name, path=path)})\n"
        "print(json.dumps(rows))\n"
    )
    output = subprocess.run([sys.executable, "-c", script], cwd=folder, check=True, capture_output=True, text=True)
    rows = json.loads(output.stdout)
    for row in rows:
        row["string_only"] = is_string_mutant(row["diff"])
        changed = [line for line in row["diff"].split("\n") if line[:1] in "+-" and line[:3] not in ("+++", "---")]
        row["equivalent"] = next((reason for pattern, reason in EQUIVALENT
                                  if row["status"] == "survived" and any(pattern.search(line) for line in changed)),
                                 None) or next((reason for matches, reason in EQUIVALENT_CHANGES
                                                if row["status"] == "survived" and matches(changed)), None)
        if row["equivalent"]:
            row["status"] = "equivalent"
    return rows


def _tokens(lines: list[str]) -> list[tuple[int, str]]:
    """The code's tokens, every string literal replaced by one placeholder."""
    found: list[tuple[int, str]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline):
            if token.type in (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT,
                              tokenize.ENDMARKER):
                continue
            found.append((token.type, "STRING" if token.type == tokenize.STRING else token.string))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a diff hunk need not be complete code: the tokens read so far are enough
    return found


def is_string_mutant(diff: str) -> bool:
    lines = diff.split("\n")
    removed = [line[1:].strip() for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:].strip() for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed != added and _tokens(removed) == _tokens(added)


def summary(rows: list[dict]) -> dict:
    def figures(selected: list[dict]) -> dict:
        counts = Counter(row["status"] for row in selected)
        killed = sum(counts[status] for status in KILLED)
        counted = len(selected) - counts["equivalent"]
        return {"killed": killed, "survived": counts["survived"], "timeout": counts["timeout"],
                "no tests": counts["no tests"], "not checked": counts["not checked"],
                "other": counted - killed - counts["survived"] - counts["timeout"] - counts["no tests"]
                - counts["not checked"], "equivalent (left out)": counts["equivalent"], "total": counted,
                "killed %": round(100 * killed / counted, 1) if counted else None,
                # While a run is going on (or was stopped): the share of those tested so far.
                "killed % of checked": round(100 * killed / (counted - counts["not checked"]), 1)
                if counted - counts["not checked"] else None}

    return {"all": figures(rows), "non-string": figures([row for row in rows if not row["string_only"]]),
            "string": figures([row for row in rows if row["string_only"]])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", required=True, choices=sorted(MODULES))
    parser.add_argument("--fresh", action="store_true", help="forget earlier results: mutate and test again")
    parser.add_argument("--rerun", default="", help="statuses of non-string mutants to test again after the run "
                        "(e.g. survived,timeout), once tests have been added")
    parser.add_argument("--rerun-only", action="store_true", help="with --rerun: test those mutants again and "
                        "nothing else (not the ones not yet checked), e.g. to see what new tests kill")
    parser.add_argument("--report-only", action="store_true", help="print the last results without running")
    parser.add_argument("--show", default="", help="print the diffs of non-string mutants with these statuses "
                        "(e.g. survived,timeout)")
    parser.add_argument("--children", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--save-state", action="store_true", help="copy the results to tools/mutation-state/ "
                        "(after the run; with --report-only, now, from a run stopped or going on)")
    args = parser.parse_args()

    started = time.monotonic()
    # A report reads the results as they are: a run may be going on in the folder.
    folder = SCRATCH / args.module if args.report_only else sync(args.module, args.fresh)
    if not args.report_only:
        if not args.rerun_only and mutmut(folder, "run", "--max-children", str(args.children)) not in (0, None):
            print("mutmut run failed: see its output above", file=sys.stderr)
            return 1
        again = {status.strip() for status in args.rerun.split(",") if status.strip()}
        if again:
            # String mutants are not rerun: the figure that counts leaves them out.
            names = [row["name"] for row in results(folder) if row["status"] in again and not row["string_only"]]
            if names:
                mutmut(folder, "run", "--max-children", str(args.children), *names)
    rows = results(folder)
    figures = summary(rows)
    wall = time.monotonic() - started
    files, tests = MODULES[args.module]
    settings = {"mutmut": _version(), "max children": args.children, "files": files, "tests": tests,
                "pytest": f"-p no:xdist -m '{TESTS_SKIPPED}'", "scratch": str(folder.relative_to(ROOT))}
    (folder / "summary.json").write_text(json.dumps({"settings": settings, "figures": figures, "mutants": rows},
                                                    indent=1))
    if args.save_state:
        save_state(args.module, folder)

    shown = {status.strip() for status in args.show.split(",") if status.strip()}
    for row in rows:
        if row["status"] in shown and not row["string_only"]:
            print(f"\n# {row['name']}: {row['status']}\n{row['diff']}")
    print(f"\nmodule {args.module}: {', '.join(files)}")
    print("settings: " + "; ".join(f"{key} {value}" for key, value in settings.items() if key != "files"))
    for label, numbers in figures.items():
        print(f"{label:>11} mutants: " + ", ".join(f"{key} {value}" for key, value in numbers.items()))
    print(f"wall time {wall / 60:.1f} min{' (report only)' if args.report_only else ''}; "
          f"load average {os.getloadavg()[0]:.2f}")
    return 0


def _version() -> str:
    from importlib.metadata import version

    return version("mutmut")


if __name__ == "__main__":
    sys.exit(main())
