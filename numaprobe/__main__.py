from numaprobe.cli.app import main

main()
