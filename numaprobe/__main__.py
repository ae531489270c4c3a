from numaprobe.cli.entry import main

main()
