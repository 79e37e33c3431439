from flowaudit.cli import main

main()
