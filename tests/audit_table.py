"""Write docs/audit.md from tests/audit/*.json:  python -m tests.audit_table"""
from tests.audit_lib import REPO, table

OUT = REPO / "docs" / "audit.md"

if __name__ == "__main__":
    OUT.write_text(table() + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
