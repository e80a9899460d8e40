from riata.cli import main

raise SystemExit(main())
