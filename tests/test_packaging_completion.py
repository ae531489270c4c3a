"""The static bash and zsh completions in packaging/completion/ know every command and option of the live CLI.

When this fails after adding a command or option: run `python3 packaging/gen_completion.py` and commit the result.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

import packaging_help as live

COMPLETION = Path(__file__).resolve().parents[1] / "packaging" / "completion"
BASH = COMPLETION / "numaprobe.bash"
ZSH = COMPLETION / "_numaprobe"


def bash_complete(*words: str, cwd: Path = None) -> list:
    """Run the completion function as bash would for `numaprobe WORDS...` (the last word is being completed)."""
    script = ("source %s\nCOMP_WORDS=(numaprobe %s)\nCOMP_CWORD=%d\n_numaprobe\n"
              'printf "%%s\\n" "${COMPREPLY[@]}"\n') % (BASH, " ".join("'%s'" % w for w in words), len(words))
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True, cwd=cwd)
    assert r.returncode == 0, r.stderr
    return [l for l in r.stdout.splitlines() if l]


def test_bash_mentions_every_command_and_option(cli):
    text = BASH.read_text()
    words = set(re.split(r"[\s'|()]+", text))
    for command, opts in live.live_tree(cli):
        if command:
            assert re.search(r"^        %s\)$" % re.escape(command), text, re.M), "no case for %s" % command
        for o in opts:
            assert o in words, "bash completion lacks %s %s" % (command or "numaprobe", o)


def test_zsh_mentions_every_command_and_option(cli):
    text = ZSH.read_text()
    assert text.startswith("#compdef numaprobe\n")
    for command, opts in live.live_tree(cli):
        if command:
            assert "'%s:" % command in text and "        %s)\n" % command in text, command
        for o in opts:
            assert re.search(r"[{,'(]%s[,}\[ ]" % re.escape(o), text), "zsh completion lacks %s %s" % (command, o)


def test_bash_completes_commands_and_options(cli):
    assert bash_complete("") == live.commands(cli)
    assert bash_complete("pro") == ["probe"]
    assert bash_complete("--v") == ["--version"]
    assert set(bash_complete("probe", "--")) == {o for o in live.options(cli, "probe") if o.startswith("--")}


def test_bash_completes_file_for_root_and_nothing_for_numbers(tmp_path):
    (tmp_path / "capture.tar.gz").write_bytes(b"")
    assert bash_complete("probe", "--root", "cap", cwd=tmp_path) == ["capture.tar.gz"]
    assert bash_complete("probe", "-r", "", cwd=tmp_path) == ["capture.tar.gz"]
    assert bash_complete("advise", "--vcpus", "", cwd=tmp_path) == []


ZSH_STUBS = r"""
_describe() { print -rl -- DESCRIBE ${(P)4}; }
_arguments() {
  if [[ $1 == -C ]]; then print -rl -- TOP "${@[2,-1]}"; state=args; return 0; fi
  print -rl -- SPECS "$@"
}
source %s >/dev/null 2>&1
"""


def zsh_specs(command: str) -> list:
    """The _arguments specs (or _describe entries) the zsh function passes, after zsh's own quoting and brace
    expansion: what zsh's completion system would be handed, with _arguments/_describe stubbed out."""
    call = "_numaprobe_commands" if command == "" else "words=(%s); _numaprobe" % command
    r = subprocess.run(["zsh", "-f", "-c", ZSH_STUBS % ZSH + call], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    marker = "DESCRIBE" if command == "" else "SPECS"
    return lines[lines.index(marker) + 1:]


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_zsh_hands_every_command_and_option_to_the_completion_system(cli):
    entries = zsh_specs("")
    assert [e.split(":")[0] for e in entries] == live.commands(cli)
    for command in live.commands(cli):
        specs = zsh_specs(command)
        for o in live.options(cli, command):
            assert [s for s in specs if re.match(r"^(\([^)]*\)|\*)?%s(\[|:|$)" % re.escape(o), s)], (command, o, specs)
        for a in live.arguments(cli, command):
            assert [s for s in specs if re.match(r"^(\d|\*):+%s:" % re.escape(a.lower() if a.isalpha() else a), s)], (command, a, specs)
    root = [s for s in zsh_specs("probe") if s.startswith("(-r --root)--root[")]
    assert root and root[0].endswith(":path:_files")


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh not installed")
def test_zsh_syntax():
    r = subprocess.run(["zsh", "-n", str(ZSH)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_bash_syntax():
    r = subprocess.run(["bash", "-n", str(BASH)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
