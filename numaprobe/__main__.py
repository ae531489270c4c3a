try:
    from numaprobe.cli.entry import main
except KeyboardInterrupt:  # Ctrl-C while Python loads numaprobe ends as one during a command does
    import sys

    sys.stderr.write("numaprobe: interrupted\n")
    sys.exit(130)

main()
