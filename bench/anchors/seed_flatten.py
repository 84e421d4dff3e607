"""Anchor "seed style": a straightforward pure-Python flattening of the raw objects (stdlib only).

Reads every raw gzip NDJSON object, keeps the latest version of each event (highest sequence number), flattens
each signal body into wide columns (same naming rules as the pipeline for clean names: value-only bodies, grid
cells r{row}c{column}, per-signal __oem_updated_at), and writes one NDJSON row per event.
Timestamps are written as epoch milliseconds. Prints one BENCH_RESULT line.

Usage: python3 seed_flatten.py RAW_DIR OUT_FILE
"""
import calendar
import gzip
import json
import os
import resource
import sys
import time


def is_grid(value):
    return (
        isinstance(value, list)
        and len(value) > 0
        and all(
            isinstance(v, dict)
            and isinstance(v.get("row"), int)
            and isinstance(v.get("column"), int)
            and not isinstance(v.get("row"), bool)
            and not isinstance(v.get("column"), bool)
            for v in value
        )
    )


def sql_timestamp_ms(text):
    if not isinstance(text, str):
        return None
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S")) * 1000


def flatten(item):
    vehicle = item.get("vehicle") or {}
    meta = item.get("meta") or {}
    user = item.get("user") or {}
    row = {
        "event_id": item.get("event_id"),
        "event_type": item.get("event_type"),
        "recorded_at": sql_timestamp_ms(item.get("recorded_at")),
        "record_type": item.get("record_type"),
        "smartcar_user_id": item.get("smartcar_user_id") or user.get("id"),
        "car_timezone": item.get("car_timezone"),
        "vehicle_id": vehicle.get("id"),
        "vehicle_make": vehicle.get("make"),
        "vehicle_model": vehicle.get("model"),
        "vehicle_year": vehicle.get("year"),
        "meta_mode": meta.get("mode"),
        "meta_version": meta.get("version"),
        "meta_delivery_id": meta.get("deliveryId"),
        "meta_delivered_at": meta.get("deliveredAt"),
        "meta_webhook_id": meta.get("webhookId"),
        "meta_webhook_name": meta.get("webhookName"),
        "meta_signal_count": meta.get("signalCount"),
        "triggers": json.dumps(item.get("triggers"), separators=(",", ":")),
    }
    for signal in item.get("signals") or []:
        status = signal.get("status") or {}
        if status.get("value") == "ERROR":
            continue
        base = "%s_%s" % (signal.get("group"), signal.get("name"))
        body = signal.get("body")
        if isinstance(body, str):
            body = json.loads(body)
        if isinstance(body, dict):
            keys = list(body.keys())
            for key in keys:
                value = body[key]
                if is_grid(value):
                    prefix = base + "_" if key == "values" else base + "_" + key + "_"
                    for cell in value:
                        cell_name = "%sr%dc%d_" % (prefix, cell["row"], cell["column"])
                        for field, v in cell.items():
                            if field not in ("row", "column"):
                                row[cell_name + field] = v
                elif isinstance(value, (list, dict)):
                    row[base + "_" + key] = json.dumps(value, separators=(",", ":"))
                elif len(keys) == 1 and key == "value":
                    row[base] = value
                else:
                    row[base + "_" + key] = value
        oem = (signal.get("meta") or {}).get("oemUpdatedAt")
        if oem:
            row[base + "__oem_updated_at"] = oem
    return row


def main():
    raw_dir, out_file = sys.argv[1], sys.argv[2]
    files = []
    for root, _dirs, names in os.walk(raw_dir):
        files.extend(os.path.join(root, n) for n in names if n.endswith(".ndjson.gz"))
    files.sort()

    started = time.perf_counter()
    records = 0
    latest = {}
    for path in files:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                record = json.loads(line)
                records += 1
                if record.get("eventName") not in ("INSERT", "MODIFY"):
                    continue
                item = record.get("newImage") or {}
                event_id = item.get("event_id")
                seq = record.get("sequenceNumber")
                current = latest.get(event_id)
                if current is None or seq > current[0]:
                    latest[event_id] = (seq, flatten(item))
    with open(out_file, "w", encoding="utf-8") as out:
        for _seq, row in latest.values():
            out.write(json.dumps(row, separators=(",", ":")))
            out.write("\n")
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "seconds": seconds,
        "records": records,
        "rows": len(latest),
        "peakRssMb": round(peak_kb / 1024, 1),
        "extra": {"python": sys.version.split()[0]},
    }
    print("BENCH_RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
