"""A local Spark + Delta Lake engine speaking the part of Databricks' SQL Statement Execution API 2.0 the product uses.
https://docs.databricks.com/api/workspace/statementexecution

Usage: python server.py  (env: SPARK_ENGINE_TOKEN (comma list), SPARK_ENGINE_WAREHOUSE_ID, SPARK_ENGINE_CHUNK_BYTES,
SPARK_ENGINE_JARS (comma list), SPARK_ENGINE_PORT (0 = free)). Prints one JSON line {"ready": true, "port": N} on
stdout once Spark answers; exits when stdin closes (so it never outlives the process that started it).
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

os.environ["TZ"] = "UTC"  # naive datetimes from collect() are then UTC, like the session time zone
time.tzset()

from translate import EngineError, Translator  # noqa: E402

TOKENS = {t for t in os.environ.get("SPARK_ENGINE_TOKEN", "dapi-spark-engine").split(",") if t}
WAREHOUSE_ID = os.environ.get("SPARK_ENGINE_WAREHOUSE_ID", "wh-spark")
# Databricks splits INLINE results into chunks by size (up to 25 MiB); smaller here so chunking is exercised.
CHUNK_BYTES = int(os.environ.get("SPARK_ENGINE_CHUNK_BYTES", str(1 << 20)))
TERMINAL = ("SUCCEEDED", "FAILED", "CANCELED", "CLOSED")


def start_spark(warehouse: str):
    from pyspark.sql import SparkSession

    jars = [j for j in os.environ.get("SPARK_ENGINE_JARS", "").split(",") if j]
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("chargeminder-spark-engine")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.warehouse.dir", warehouse)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.databricks.delta.snapshotPartitions", "2")
        .config("spark.driver.memory", os.environ.get("SPARK_ENGINE_MEMORY", "1g"))
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.ansi.enabled", "true")  # Databricks SQL warehouses run with ANSI mode on
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


class Statement:
    def __init__(self, sql: str, params: dict, types: dict):
        self.types = types
        self.id = f"01f0{uuid.uuid4().hex[:4]}-{uuid.uuid4()}"
        self.sql = sql
        self.params = params
        self.state = "PENDING"
        self.columns: list[dict] = []
        self.chunks: list[list[list]] = []
        self.rows = 0
        self.error: dict | None = None
        self.done = threading.Event()
        self.ended = threading.Event()  # the worker has let go of the statement (its Spark jobs are over)
        self.lock = threading.Lock()

    def finish(self, state: str, **kw) -> None:
        with self.lock:
            if self.state in TERMINAL:
                return
            for k, v in kw.items():
                setattr(self, k, v)
            self.state = state
        self.done.set()

    def json(self) -> dict:
        out: dict = {"statement_id": self.id, "status": {"state": self.state}}
        if self.state == "FAILED":
            out["status"]["error"] = self.error
        if self.state == "SUCCEEDED":
            out["manifest"] = {
                "format": "JSON_ARRAY",
                "schema": {"column_count": len(self.columns), "columns": self.columns},
                "total_row_count": self.rows,
                "total_chunk_count": len(self.chunks),
                "chunks": [{"chunk_index": i, "row_count": len(c)} for i, c in enumerate(self.chunks)],
                "truncated": False,
            }
            out["result"] = self.chunk(0)
        return out

    def chunk(self, index: int) -> dict:
        rows = self.chunks[index] if index < len(self.chunks) else []
        out: dict = {"chunk_index": index, "row_offset": sum(len(c) for c in self.chunks[:index]), "row_count": len(rows)}
        if rows:
            out["data_array"] = rows
        if index + 1 < len(self.chunks):
            out["next_chunk_index"] = index + 1
            out["next_chunk_internal_link"] = f"/api/2.0/sql/statements/{self.id}/result/chunks/{index + 1}"
        return out


def typed(value, type_name: str | None):
    """A parameter's string value as the Python object Spark binds as a literal of that type
    (https://docs.databricks.com/api/workspace/statementexecution/executestatement: `type` defaults to STRING)."""
    if value is None:
        return None
    t = (type_name or "STRING").upper()
    v = str(value)
    if t in ("STRING", "VARCHAR", "CHAR"):
        return v
    if t in ("BIGINT", "INT", "INTEGER", "SMALLINT", "TINYINT", "LONG", "SHORT", "BYTE"):
        return int(v)
    if t in ("DOUBLE", "FLOAT", "REAL"):
        return float(v)
    if t.startswith("DECIMAL"):
        return decimal.Decimal(v)
    if t == "BOOLEAN":
        return v.lower() == "true"
    if t == "DATE":
        return dt.date.fromisoformat(v)
    if t in ("TIMESTAMP", "TIMESTAMP_LTZ", "TIMESTAMP_NTZ"):
        d = dt.datetime.fromisoformat(v.replace(" ", "T"))
        return d.astimezone(dt.timezone.utc).replace(tzinfo=None) if d.tzinfo else d
    raise EngineError("INVALID_PARAMETER_VALUE", f"unsupported parameter type {type_name}")


def cell(v):
    """JSON_ARRAY format: every value is a string or null."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        return v.isoformat() + "Z"
    if isinstance(v, (dt.date, decimal.Decimal, int, float)):
        return str(v) if not isinstance(v, dt.date) else v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return base64.b64encode(v).decode()
    if isinstance(v, str):
        return v
    return json.dumps(plain(v), default=str)


def plain(v):
    if hasattr(v, "asDict"):
        return {k: plain(x) for k, x in v.asDict().items()}
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return cell(v) if not isinstance(v, (int, float, bool)) or isinstance(v, bool) else v


TYPE_NAMES = {"bigint": "LONG", "int": "INT", "smallint": "SHORT", "tinyint": "BYTE", "string": "STRING", "double": "DOUBLE", "float": "FLOAT", "boolean": "BOOLEAN", "timestamp": "TIMESTAMP", "timestamp_ntz": "TIMESTAMP_NTZ", "date": "DATE", "binary": "BINARY", "void": "NULL"}


def column_info(i: int, field) -> dict:
    text = field.dataType.simpleString()
    base = re.sub(r"[<(].*", "", text)
    return {"name": field.name, "type_text": text.upper(), "type_name": TYPE_NAMES.get(base, base.upper()), "position": i}


def _user_error(j) -> tuple[str, str] | None:
    """(error class, message) of the first Spark error with a class in a Java cause chain whose top is a wrapper
    (`SparkException: Exception thrown in awaitResult`, a failed task), e.g. a `raise_error` inside a join."""
    seen = 0
    while j is not None and seen < 20:
        try:
            cls = j.getCondition() if hasattr(j, "getCondition") else None
        except Exception:  # noqa: BLE001
            cls = None
        message = str(j.getMessage() or "")
        if cls and cls != "INTERNAL_ERROR" and "awaitResult" not in message:
            return cls, message if message.startswith("[") else f"[{cls}] {message}"
        j, seen = j.getCause(), seen + 1
    return None


def failure(e: BaseException) -> dict:
    """Databricks-like `{error_code, message}`: the Spark/Delta error class leads the message (`[CLASS] ...`)."""
    if isinstance(e, EngineError):
        return {"error_code": e.error_code, "message": str(e), "error_class": e.error_class}
    cls = None
    for attr in ("getCondition", "getErrorClass"):
        if hasattr(e, attr):
            try:
                cls = getattr(e, attr)()
            except Exception:  # noqa: BLE001
                cls = None
            if cls:
                break
    text = str(e).split("\n\nJVM stacktrace:")[0].strip()
    if hasattr(e, "java_exception"):  # an exception py4j did not convert
        text = str(e.java_exception.toString())
    root = _user_error(getattr(e, "java_exception", None) or getattr(e, "_origin", None))
    if root is not None:  # Databricks reports the error a statement raised, not the executor wrapper around it
        cls, text = root
    text = text.replace("`spark_catalog`.", "`main`.")  # names as the product wrote them (translate.py maps main)
    if cls and not text.startswith("["):
        text = f"[{cls}] {text}"
    code = "ABORTED" if re.search(r"Concurrent|CONCURRENT", text) else "BAD_REQUEST"
    out = {"error_code": code, "message": text[:4000]}
    if cls:
        out["error_class"] = cls
    return out


class Engine:
    def __init__(self, spark, warehouse: str):
        self.spark = spark
        self.translator = Translator(spark, warehouse)
        self.statements: dict[str, Statement] = {}
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stmt")
        self.lock = threading.Lock()
        # MERGEs run one at a time, so a statement's own session settings (Translation.conf) never leak into another
        self.merge_lock = threading.Lock()

    def submit(self, sql: str, params: dict, types: dict) -> Statement:
        st = Statement(sql, params, types)
        self.statements[st.id] = st
        self.pool.submit(self._run, st)
        return st

    def cancel(self, st: Statement) -> None:
        """CANCELED at once; the statement's Spark jobs are interrupted, including one its worker starts after this
        call (hence the repeat until the worker lets go)."""
        st.finish("CANCELED")

        def interrupt() -> None:
            while not st.ended.wait(0.2):
                self.spark.sparkContext.cancelJobGroup(st.id)

        self.spark.sparkContext.cancelJobGroup(st.id)
        threading.Thread(target=interrupt, daemon=True).start()

    def _sql(self, sql: str, params: dict):
        return self.spark.sql(sql, args=params) if params else self.spark.sql(sql)

    def _run(self, st: Statement) -> None:
        try:
            self._execute(st)
        finally:
            st.ended.set()

    def _execute(self, st: Statement) -> None:
        with st.lock:
            if st.state in TERMINAL:
                return
            st.state = "RUNNING"
        sc = self.spark.sparkContext
        sc.setJobGroup(st.id, st.sql[:80], interruptOnCancel=True)
        views: list[str] = []
        try:
            with self.lock:  # the translator reads the catalog and registers views; keep that consistent
                tr = self.translator.translate(st.sql, st.params, st.types)
            for name, df in tr.views.items():
                df.createOrReplaceTempView(name)
                views.append(name)
            if not tr.sql:
                st.finish("SUCCEEDED", columns=[], chunks=[[]], rows=0)
                return
            if tr.sql.lstrip().upper().startswith("MERGE"):
                with self.merge_lock:
                    for k, v in tr.conf.items():
                        self.spark.conf.set(k, v)
                    try:
                        df = self._sql(tr.sql, st.params)
                    finally:
                        for k in tr.conf:
                            self.spark.conf.unset(k)
            else:
                df = self._sql(tr.sql, st.params)
            fields = df.schema.fields
            chunks: list[list[list]] = [[]]
            size = 0
            rows = 0
            for row in df.toLocalIterator() if st.state == "RUNNING" else []:
                values = [cell(v) for v in row]
                size += len(json.dumps(values))
                if size > CHUNK_BYTES and chunks[-1]:
                    chunks.append([])
                    size = len(json.dumps(values))
                chunks[-1].append(values)
                rows += 1
            st.finish("SUCCEEDED", columns=[column_info(i, f) for i, f in enumerate(fields)], chunks=chunks, rows=rows)
        except BaseException as e:  # noqa: BLE001
            if os.environ.get("SPARK_ENGINE_DEBUG"):
                traceback.print_exc()
            st.finish("FAILED", error=failure(e))
        finally:
            for name in views:
                self.spark.catalog.dropTempView(name)


def make_handler(engine: Engine):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read stdout for readiness only
            pass

        def send(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def body(self) -> dict | None:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            if not raw:
                return {}
            try:
                b = json.loads(raw)
                return b if isinstance(b, dict) else None
            except ValueError:
                return None

        def authorized(self) -> bool:
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer ") and auth[7:] in TOKENS:
                return True
            self.send(401, {"error_code": "UNAUTHENTICATED", "message": "Invalid access token."})
            return False

        def do_GET(self):
            if not self.authorized():
                return
            path = self.path.split("?")[0]
            m = re.fullmatch(r"/api/2\.0/sql/warehouses/([^/]+)", path)
            if m:
                if m.group(1) != WAREHOUSE_ID:
                    return self.send(404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": f"warehouse {m.group(1)} does not exist"})
                return self.send(200, {"id": WAREHOUSE_ID, "name": "local spark", "state": "RUNNING"})
            m = re.fullmatch(r"/api/2\.0/sql/statements/([^/]+)(?:/result/chunks/(\d+))?", path)
            if not m:
                return self.send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no such endpoint GET {path}"})
            st = engine.statements.get(m.group(1))
            if not st:
                return self.send(404, {"error_code": "NOT_FOUND", "message": f"statement {m.group(1)} not found"})
            if m.group(2) is not None:
                if st.state != "SUCCEEDED" or int(m.group(2)) >= len(st.chunks):
                    return self.send(404, {"error_code": "NOT_FOUND", "message": f"chunk {m.group(2)} of statement {st.id} not found"})
                return self.send(200, st.chunk(int(m.group(2))))
            return self.send(200, st.json())

        def do_POST(self):
            if not self.authorized():
                return
            path = self.path.split("?")[0]
            b = self.body()
            if b is None:
                return self.send(400, {"error_code": "MALFORMED_REQUEST", "message": "body is not a JSON object"})
            m = re.fullmatch(r"/api/2\.0/sql/statements/([^/]+)/cancel", path)
            if m:
                st = engine.statements.get(m.group(1))
                if not st:
                    return self.send(404, {"error_code": "NOT_FOUND", "message": f"statement {m.group(1)} not found"})
                if st.state not in TERMINAL:
                    engine.cancel(st)
                return self.send(200, {})
            if path.rstrip("/") != "/api/2.0/sql/statements":
                return self.send(404, {"error_code": "ENDPOINT_NOT_FOUND", "message": f"no such endpoint POST {path}"})
            return self.execute(b)

        def execute(self, b: dict):
            bad = lambda msg: self.send(400, {"error_code": "INVALID_PARAMETER_VALUE", "message": msg})  # noqa: E731
            sql = b.get("statement")
            if not isinstance(sql, str) or not sql.strip():
                return bad("statement is required")
            if b.get("warehouse_id") != WAREHOUSE_ID:
                return bad(f"warehouse {b.get('warehouse_id')} not found")
            wm = re.fullmatch(r"(\d+)s", str(b.get("wait_timeout", "10s")))
            wait = int(wm.group(1)) if wm else -1
            if not (wait == 0 or 5 <= wait <= 50):
                return bad("wait_timeout must be 0s or between 5s and 50s")
            on_timeout = str(b.get("on_wait_timeout", "CONTINUE"))
            if on_timeout not in ("CONTINUE", "CANCEL"):
                return bad("on_wait_timeout must be CONTINUE or CANCEL")
            if str(b.get("format", "JSON_ARRAY")) != "JSON_ARRAY" or str(b.get("disposition", "INLINE")) != "INLINE":
                return bad("this engine serves format JSON_ARRAY with disposition INLINE only")
            params: dict = {}
            types: dict = {}
            for p in b.get("parameters") or []:
                if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                    return bad("parameter without a name")
                try:
                    params[p["name"]] = typed(p.get("value"), p.get("type"))
                    types[p["name"]] = str(p.get("type") or "STRING")
                except (ValueError, EngineError) as e:
                    return bad(f"parameter {p['name']}: {e}")
            st = engine.submit(sql, params, types)
            if wait > 0 and not st.done.wait(wait) and on_timeout == "CANCEL":
                engine.cancel(st)
            return self.send(200, st.json())

    return Handler


def interrupted(*_) -> None:
    raise KeyboardInterrupt


def main() -> None:
    warehouse = tempfile.mkdtemp(prefix="spark-engine-")
    started = time.time()
    spark = start_spark(os.path.join(warehouse, "warehouse"))
    spark.sql("SELECT 1").collect()
    engine = Engine(spark, os.path.join(warehouse, "warehouse"))
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("SPARK_ENGINE_PORT", "0"))), make_handler(engine))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"ready": True, "port": server.server_address[1], "startSeconds": round(time.time() - started, 2)}), flush=True)
    signal.signal(signal.SIGTERM, interrupted)  # clean up on SIGTERM too
    try:
        sys.stdin.read()  # EOF: the parent is gone
    except KeyboardInterrupt:
        pass
    server.shutdown()
    try:
        spark.stop()
    finally:
        shutil.rmtree(warehouse, ignore_errors=True)
        os._exit(0)


if __name__ == "__main__":
    main()
