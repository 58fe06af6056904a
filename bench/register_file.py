"""A generated register file (CSV) of made-up owners, in the import's columns."""

import csv
import datetime

from residents import importer
from residents.identifiers import make_credit_code, make_resident_id

UNITS_PER_BUILDING = 500


def write_register(path: str, units: int, buildings: int) -> int:
    """Write a register file of ``units`` units; return its number of data rows."""
    developer = ("基准开发有限公司", make_credit_code(1), "")
    rows = 0
    birth = datetime.date(1960, 1, 1)
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(importer.COLUMNS)
        for i in range(units):
            building = f"{i // UNITS_PER_BUILDING % buildings + 1}栋"
            stairway = str(i % UNITS_PER_BUILDING // 100 + 1)
            room = f"{i % 100 + 1:03d}"
            area = f"{60 + (i * 37) % 9000 / 100:.2f}"
            head = [building, stairway, room, "residential", area, "registered" if i % 10 else "surveyed"]
            bucket = i % 100
            if bucket < 3:
                owners = [(*developer, "yes", "")]
                delivered = "yes" if bucket else "no"
            elif bucket < 5:  # a buyer of several units: the same person as the unit before
                n = i - 1
                owners = [
                    (
                        f"业主{n}",
                        make_resident_id("500105", birth + datetime.timedelta(days=n // 997), n),
                        f"139{n:08d}",
                        "no",
                        "",
                    )
                ]
                delivered = "yes"
            elif bucket < 10:  # co-owned by a couple
                owners = [
                    (
                        f"业主{i}",
                        make_resident_id("500105", birth + datetime.timedelta(days=i // 997), i),
                        f"139{i:08d}",
                        "no",
                        "0.5",
                    ),
                    (
                        f"配偶{i}",
                        make_resident_id("500106", birth + datetime.timedelta(days=i // 997), i),
                        "",
                        "no",
                        "0.5",
                    ),
                ]
                delivered = "yes"
            else:
                owners = [
                    (
                        f"业主{i}",
                        make_resident_id("500105", birth + datetime.timedelta(days=i // 997), i),
                        f"139{i:08d}",
                        "no",
                        "",
                    )
                ]
                delivered = "yes"
            for name, ident, phone, dev, share in owners:
                writer.writerow([*head, delivered, name, ident, phone, dev, share])
                rows += 1
    return rows
