import sys

from litellm_bundle.cli.main import main

sys.exit(main())
