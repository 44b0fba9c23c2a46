from studyllm.cli import main

raise SystemExit(main())
