"""`python -m tandem`: the same as the `tandem` command."""

from tandem.start import main

raise SystemExit(main())
