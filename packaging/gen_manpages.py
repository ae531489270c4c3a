#!/usr/bin/python3
"""Write numaprobe(8) and numaprobe-COMMAND(8) from the CLI's own command tree (run at package build time).

    python3 packaging/gen_manpages.py OUTDIR

Names, synopses, option lists and help texts all come from click (see clitree.py); only the prose that --help
has no place for (what the tool is, exit status, files, see also) is written here. The date is
SOURCE_DATE_EPOCH's (dpkg and rpmbuild set it) so that rebuilds give identical pages.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent))

from clitree import Command, Param, Program, load  # noqa: E402

SECTION = "8"

DESCRIPTION = [
    "numaprobe reads how a Linux machine is divided into NUMA nodes, from the firmware's ACPI tables (SRAT, SLIT, "
    "HMAT) and from what the kernel made of them in sysfs and procfs, and says where they disagree. It models the "
    "kernel's page allocator per node and advises where to place a virtual machine, container or process, with "
    "configuration ready to paste into numactl, libvirt, xl or a systemd unit.",
    "numaprobe only reads. It never changes the memory policy, CPU affinity or configuration of the machine it "
    "runs on. Run as root to see everything: some files (the ACPI tables, other users' processes) are readable "
    "by root only; without them numaprobe says what it could not read and goes on.",
    "Every command accepts \\fB\\-\\-root\\fR \\fIPATH\\fR to read a captured machine (a directory holding "
    "\\fIsys/\\fR and \\fIproc/\\fR, or a tarball of one, as written by \\fBnumaprobe capture\\fR) instead of "
    "this host, and \\fB\\-\\-json\\fR to print a versioned JSON document instead of text.",
    "Without a command, numaprobe runs \\fBprobe\\fR on this host.",
    "The JSON documents (one schema per command, \\(lqschema_version\\(rq 1) are described in \\fIjson.md\\fR, "
    "installed with the package documentation, usually in \\fI/usr/share/doc/numaprobe/\\fR.",
]

EXIT_STATUS = [
    ("0", "Success."),
    ("1", "The command found what it looks for: \\fBcheck\\fR reported at least one error (warnings and "
          "informational findings alone exit 0), or \\fBadvise\\fR could not place the domain."),
    ("2", "Misuse or bad input: an unknown option, a bad value, an unreadable or unsafe capture. One line "
          "saying why is printed on standard error."),
    ("70", "Internal error: a bug in numaprobe. One line is printed on standard error; run with "
           "\\fBNUMAPROBE_DEBUG=1\\fR in the environment to see the traceback, and report it."),
    ("130", "Interrupted (SIGINT)."),
]

# (arguments, what it does); shown in numaprobe(8) when the command exists. The test parses each with the CLI.
EXAMPLES = [
    ([], "Nodes, CPUs, memory and distances of this host, like numactl \\-H."),
    (["check"], "Where the firmware's tables and the kernel disagree; exit status 1 if any error."),
    (["capture", "host.tar.gz"], "Snapshot this host for analysis elsewhere."),
    (["probe", "--root", "host.tar.gz", "--json"], "The captured machine's topology as a JSON document."),
    (["advise", "--vcpus", "8", "--memory", "32G", "--format", "libvirt"],
     "Where to place an 8-vCPU, 32 GiB guest, as libvirt XML to paste."),
]

FILES = [
    ("/sys/devices/system/node/", "Nodes, their CPUs, memory, distances and huge pages."),
    ("/sys/devices/system/cpu/", "CPU topology: packages, cores, threads, caches."),
    ("/sys/firmware/acpi/tables/", "The ACPI SRAT, SLIT and HMAT tables (readable by root)."),
    ("/proc/", "Memory, allocator and per-process state: meminfo, buddyinfo, zoneinfo, PID/numa_maps."),
]

SEE_ALSO = ["numactl(8)", "numastat(8)", "lstopo(1)", "taskset(1)", "virsh(1)", "xl(1)", "systemd.exec(5)",
            "iasl(1)"]


def roff_text(s: str) -> str:
    """Escape free text for a roff body line; `code` becomes bold."""
    s = s.replace("\\", "\\e")
    s = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fR", s)
    s = re.sub(r"(?<![\w\\])--?(?=[a-zA-Z])", lambda m: m.group(0).replace("-", "\\-"), s)
    if s[:1] in (".", "'"):
        s = "\\&" + s
    return s


def wrap(roff: str) -> List[str]:
    """Break an already escaped text line at spaces to keep source lines under 80 bytes (mandoc -Tlint style)."""
    lines = textwrap.wrap(roff, width=78, break_long_words=False, break_on_hyphens=False) or [""]
    return [("\\&" + l) if l[:1] in (".", "'") else l for l in lines]


def lower_first(s: str) -> str:
    """"The smallest ..." -> "the smallest ..." for a NAME line, but leave "SRAT ..." and "CPUs ..." alone."""
    return s[0].lower() + s[1:] if len(s) > 1 and s[0].isupper() and s[1].islower() else s


def paragraphs(help_text: str) -> List[str]:
    out = []
    for block in re.split(r"\n\s*\n", help_text.strip()):
        block = block.lstrip("\b").strip()
        if block:
            out.append(" ".join(block.split()))
    return out


def opt_label(p: Param) -> str:
    names = ", ".join("\\fB" + o.replace("-", "\\-") + "\\fR" for o in p.opts)
    if p.metavar:
        names += " \\fI" + roff_text(p.value_name) + "\\fR"
    return names


def synopsis_item(p: Param) -> str:
    if p.is_argument:
        word = "\\fI" + roff_text(p.value_name) + "\\fR" + (" ...\\&" if p.multiple else "")
        return word if p.required else "[" + word + "]"
    word = "\\fB" + p.main_opt.replace("-", "\\-") + "\\fR"
    if p.metavar:
        # \% : never hyphenate a value template like NAME:vcpus=N,memory=SIZE
        word += " \\fI\\%" + roff_text(p.value_name) + "\\fR"
    if p.multiple:
        word += " ...\\&"  # \& : not the end of a sentence (no double space)
    return word if p.required else "[" + word + "]"


def header(title: str, program: Program, date: str) -> List[str]:
    return [
        '.\\" Generated by packaging/gen_manpages.py from the numaprobe %s command tree; do not edit.' % program.version,
        '.TH %s %s %s "numaprobe %s" "System Administration"' % (title.upper().replace("-", "\\-"), SECTION, date,
                                                                 program.version),
    ]


def options_section(cmd: Command) -> List[str]:
    lines = []
    if cmd.arguments:
        lines.append(".SH ARGUMENTS")
        for p in cmd.arguments:
            lines += [".TP", "\\fI" + roff_text(p.value_name) + "\\fR" + (" ...\\&" if p.multiple else "")]
            lines += wrap(roff_text(p.help) or "(no description)")
    lines.append(".SH OPTIONS")
    for p in cmd.options:
        text = roff_text(p.help) or "(no description)"
        extras = []
        if p.required:
            extras.append("Required.")
        if p.multiple:
            extras.append("May be given more than once.")
        if p.choices:
            extras.append("One of: " + ", ".join(p.choices) + ".")
        if p.default:
            extras.append("Default: %s." % roff_text(p.default))
        lines += [".TP", opt_label(p)] + wrap(" ".join([text] + extras))
    return lines


def exit_section() -> List[str]:
    lines = [".SH EXIT STATUS"]
    for code, text in EXIT_STATUS:
        lines += [".TP", code] + wrap(text)
    return lines


def see_also(names: List[str]) -> List[str]:
    refs = []
    for n in names:
        page, sect = n[:-1].split("(")
        # \% keeps "numaprobe-numastat" from being hyphenated across lines.
        refs.append("\\fB\\%%%s\\fR(%s)" % (page.replace("-", "\\-"), sect))
    return [".SH SEE ALSO", ",\n".join(refs)]


def main_page(program: Program, date: str) -> str:
    top = program.top
    lines = header("numaprobe", program, date)
    lines += [".SH NAME"] + wrap("numaprobe \\- " + roff_text(lower_first(top.help.rstrip("."))))
    lines += [".SH SYNOPSIS", ".B numaprobe", "[\\fIOPTIONS\\fR] [\\fICOMMAND\\fR [\\fIARGS\\fR ...]]"]
    lines += [".SH DESCRIPTION"]
    for i, para in enumerate(DESCRIPTION):
        if i:
            lines.append(".PP")
        lines += wrap(para)
    lines.append(".SH COMMANDS")
    for c in program.commands:
        lines += [".TP", "\\fB%s\\fR" % c.name]
        lines += wrap(roff_text(paragraphs(c.help)[0] if c.help else c.short_help)
                      + " See \\fBnumaprobe\\-%s\\fR(%s)." % (c.name.replace("-", "\\-"), SECTION))
    lines += options_section(top)
    lines += exit_section()
    known = {c.name for c in program.commands}
    examples = [(argv, text) for argv, text in EXAMPLES if not argv or argv[0] in known]
    if examples:
        lines.append(".SH EXAMPLES")
        for i, (argv, text) in enumerate(examples):
            lines += ([".PP"] if i else []) + wrap(text) + [".IP", "\\fB%s\\fR" % roff_text(" ".join(["numaprobe"] + argv))]
    lines.append(".SH FILES")
    for path, text in FILES:
        lines += [".TP", "\\fI%s\\fR" % path] + wrap(text)
    lines += see_also(["numaprobe-%s(%s)" % (c.name, SECTION) for c in program.commands] + SEE_ALSO)
    return "\n".join(lines) + "\n"


def command_page(program: Program, cmd: Command, date: str) -> str:
    paras = paragraphs(cmd.help) or [cmd.short_help]
    lines = header("numaprobe-" + cmd.name, program, date)
    lines += [".SH NAME"] + wrap("numaprobe\\-%s \\- %s" % (cmd.name.replace("-", "\\-"),
                                                            roff_text(lower_first(paras[0].rstrip(".")))))
    synopsis = [synopsis_item(p) for p in cmd.options if p.main_opt != "--help"]
    synopsis += [synopsis_item(p) for p in cmd.arguments]
    # Left-adjusted and unhyphenated: justification would spread a long synopsis into gaps.
    lines += [".SH SYNOPSIS", ".ad l", ".nh", ".B numaprobe %s" % cmd.name] + synopsis + [".hy", ".ad"]
    lines += [".SH DESCRIPTION"] + wrap(roff_text(paras[0]))
    for para in paras[1:]:
        lines += [".PP"] + wrap(roff_text(para))
    lines += options_section(cmd)
    lines += exit_section()
    lines += see_also(["numaprobe(%s)" % SECTION] + ["numaprobe-%s(%s)" % (c.name, SECTION)
                                                      for c in program.commands if c.name != cmd.name])
    return "\n".join(lines) + "\n"


def build_date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return time.strftime("%Y-%m-%d", time.gmtime(int(epoch) if epoch else time.time()))


def render_all(program: Program, date: str) -> Dict[str, str]:
    pages = {"numaprobe.%s" % SECTION: main_page(program, date)}
    for cmd in program.commands:
        pages["numaprobe-%s.%s" % (cmd.name, SECTION)] = command_page(program, cmd, date)
    return pages


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print("usage: gen_manpages.py OUTDIR", file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all(load(), build_date()).items():
        (out / name).write_text(text, encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
