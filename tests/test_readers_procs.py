from numaprobe.model.gather import build_machine
from numaprobe.model.processes import committed_cpus, confined
from numaprobe.source.root import open_root


def _status(tmp, pid, name, cpus, ppid=1, kthread=None):
    d = tmp / "proc" / str(pid)
    d.mkdir(parents=True)
    lines = ["Name:\t%s" % name, "PPid:\t%d" % ppid, "Threads:\t3", "Cpus_allowed_list:\t%s" % cpus,
             "Mems_allowed_list:\t0-1"]
    if kthread is not None:
        lines.append("Kthread:\t%d" % kthread)
    (d / "status").write_text("\n".join(lines) + "\n")


def test_confined_user_processes_are_committed_kernel_threads_are_not(tmp_path):
    _status(tmp_path, 1, "systemd", "0-15", ppid=0)
    _status(tmp_path, 2, "kthreadd", "0-15", ppid=0)
    _status(tmp_path, 20, "ksoftirqd/3", "3", ppid=2)  # pre-6.x kernel: known by its parent
    _status(tmp_path, 21, "kworker/5", "5", ppid=2, kthread=1)
    _status(tmp_path, 300, "qemu-system-x86", "8-11")
    _status(tmp_path, 301, "bash", "0-15")
    (tmp_path / "proc" / "302").mkdir()  # vanished between listdir and read
    procs = confined(build_machine(open_root(str(tmp_path))).processes)
    assert [(p.pid, p.name, p.cpus_allowed, p.threads) for p in procs] == [(300, "qemu-system-x86", (8, 9, 10, 11), 3)]
    assert committed_cpus(procs) == (8, 9, 10, 11)


def test_container_cpuset_is_not_confinement(tmp_path):
    # Everything, pid 1 included, runs on 0-3: nothing is confined relative to what this machine allows.
    _status(tmp_path, 1, "init", "0-3", ppid=0)
    _status(tmp_path, 50, "app", "0-3")
    assert confined(build_machine(open_root(str(tmp_path))).processes) == ()
