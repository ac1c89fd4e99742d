import sys

from bot.bench.runs import main

sys.exit(main())
