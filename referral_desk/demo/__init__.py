"""Demo data for trying the app, for tests and for benchmarks: not a production use case.

Only the command line (`referral-desk demo`, `--demo`) and the composition root import this
package; an import-linter contract keeps it out of every production layer. `generate_demo` is
the one entry point; `content` holds the word lists, read from `resources/demo/*.json`.
"""

from referral_desk.demo.generate import DemoSummary, generate_demo

__all__ = ["DemoSummary", "generate_demo"]
