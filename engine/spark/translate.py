"""The one place where Databricks-only SQL becomes Spark + Delta SQL.

Each rule reproduces documented Databricks behaviour (source URL beside it). Everything else runs as sent.
Rules work on tokens (strings, backtick identifiers, comments and parameter markers are never rewritten by accident).
"""

from __future__ import annotations

import glob as globlib
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse


class EngineError(Exception):
    """A statement failure with a Databricks error class (shown as `[CLASS] message`, like Databricks SQL)."""

    def __init__(self, error_class: str, message: str, error_code: str = "BAD_REQUEST"):
        super().__init__(f"[{error_class}] {message}")
        self.error_class = error_class
        self.error_code = error_code


@dataclass
class Tok:
    kind: str  # ident (backticked), word, string, param, space, punct
    text: str
    value: str = ""  # ident: the name; string: the decoded literal; param: the name; word: the text


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def tokenize(sql: str) -> list[Tok]:
    out: list[Tok] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c == "`":
            j, name = i + 1, ""
            while j < n:
                if sql[j] == "`" and j + 1 < n and sql[j + 1] == "`":
                    name, j = name + "`", j + 2
                elif sql[j] == "`":
                    j += 1
                    break
                else:
                    name, j = name + sql[j], j + 1
            out.append(Tok("ident", sql[i:j], name))
            i = j
        elif c in "'\"":
            j, val = i + 1, ""
            while j < n and sql[j] != c:
                if sql[j] == "\\" and j + 1 < n:  # Spark string literals use backslash escapes
                    val, j = val + sql[j + 1], j + 2
                else:
                    val, j = val + sql[j], j + 1
            out.append(Tok("string", sql[i : j + 1], val))
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(Tok("space", sql[i:j]))
            i = j
        elif sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(Tok("space", sql[i:j]))
            i = j
        elif c.isspace():
            j = i
            while j < n and sql[j].isspace():
                j += 1
            out.append(Tok("space", sql[i:j]))
            i = j
        elif c == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_") and not sql.startswith("::", i - 1):
            m = _WORD.match(sql, i + 1)
            assert m
            out.append(Tok("param", sql[i : m.end()], m.group(0)))
            i = m.end()
        elif _WORD.match(sql, i):
            m = _WORD.match(sql, i)
            assert m
            out.append(Tok("word", m.group(0), m.group(0)))
            i = m.end()
        elif sql.startswith("=>", i):
            out.append(Tok("punct", "=>"))
            i += 2
        else:
            out.append(Tok("punct", c))
            i += 1
    return out


def join(tokens: list[Tok]) -> str:
    return "".join(t.text for t in tokens)


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def name_of(t: Tok) -> str | None:
    return t.value if t.kind in ("ident", "word") else None


def solid(tokens: list[Tok]) -> list[int]:
    """Indexes of the non-space tokens."""
    return [i for i, t in enumerate(tokens) if t.kind != "space"]


@dataclass
class Translation:
    sql: str
    """Spark SQL to run, or '' when the statement was handled here (tags)."""
    views: dict[str, object] = field(default_factory=dict)
    """Temp views (name -> DataFrame) the SQL refers to; registered just before it runs."""
    conf: dict[str, str] = field(default_factory=dict)
    """Session settings for this statement alone (set around it, under the engine's MERGE lock)."""


class Translator:
    """Holds what Spark does not: Unity Catalog tags. `engine` supplies the SparkSession-facing helpers."""

    def __init__(self, spark, warehouse: str, catalog_name: str = "main"):
        self.spark = spark
        self.warehouse = warehouse
        self._described_cache: dict[tuple[str, str], tuple[str, object]] = {}
        self.catalog = catalog_name
        self.table_tags: dict[tuple[str, str, str], dict[str, str]] = {}
        self.column_tags: dict[tuple[str, str, str, str], dict[str, str]] = {}
        self._seq = 0

    # ---- entry point -------------------------------------------------------------------------------------------
    def translate(self, sql: str, params: dict[str, object], types: dict[str, str] | None = None) -> Translation:
        tokens = tokenize(sql.strip().rstrip(";"))
        immediate = self._execute_immediate(tokens)
        if immediate is not None:
            return self.translate(immediate, {}, {})
        tr = Translation("")
        if self._tags(tokens):
            return tr
        tokens = self._comment_on_column(tokens)
        tokens = self._merge_schema_evolution(tokens, tr)
        tokens = self._information_schema(tokens, tr)
        tokens = self._catalog_names(tokens)
        tokens = self._read_files(tokens, params, tr)
        tokens = self._typed_markers(tokens, types or {})
        tr.sql = join(tokens)
        return tr

    def _view(self, tr: Translation, df) -> str:
        self._seq += 1
        name = f"__dbx_{self._seq}"
        tr.views[name] = df
        return name

    # ---- EXECUTE IMMEDIATE ----------------------------------------------------------------------------------------
    def _execute_immediate(self, tokens: list[Tok]) -> str | None:
        """`EXECUTE IMMEDIATE <string literal or variable>` (no INTO / USING): the statement the string holds, which then
        goes through these rules like any statement (Spark would run it untranslated: tags, `main`, information_schema).
        The string must be a literal or a variable and may not be another EXECUTE IMMEDIATE:
        https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-aux-execute-immediate
        """
        s = solid(tokens)
        if len(s) != 3 or [tokens[i].text.upper() for i in s[:2]] != ["EXECUTE", "IMMEDIATE"]:
            return None
        arg = tokens[s[2]]
        if arg.kind == "string":
            text = arg.value
        elif arg.kind in ("word", "ident"):
            text = self.spark.sql(f"SELECT {quote(arg.value)}").collect()[0][0]  # a session variable
        else:
            return None
        if text is None:
            raise EngineError("NULL_QUERY_STRING_EXECUTE_IMMEDIATE", f"Execute immediate requires a non-null variable as the query string, but the provided variable `{arg.value}` is null.")
        inner = [t.text.upper() for t in tokenize(text) if t.kind != "space"][:2]
        if inner == ["EXECUTE", "IMMEDIATE"]:
            raise EngineError("NESTED_EXECUTE_IMMEDIATE", f"Nested EXECUTE IMMEDIATE commands are not allowed. Please ensure that the SQL query provided ({text}) does not contain another EXECUTE IMMEDIATE command.")
        return text

    # ---- typed parameters ------------------------------------------------------------------------------------------
    @staticmethod
    def _typed_markers(tokens: list[Tok], types: dict[str, str]) -> list[Tok]:
        """A parameter's `type` (default STRING) is the type of the literal Databricks binds:
        https://docs.databricks.com/api/workspace/statementexecution/executestatement (StatementParameterListItem).
        Python ints bind as INT in Spark, so numeric types are made explicit with a CAST around the marker."""
        out = []
        for t in tokens:
            ty = types.get(t.value, "STRING").upper() if t.kind == "param" else "STRING"
            if t.kind == "param" and re.fullmatch(r"BIGINT|INT|INTEGER|SMALLINT|TINYINT|LONG|SHORT|BYTE|DOUBLE|FLOAT|REAL|DECIMAL(\(\d+(, *\d+)?\))?", ty):
                out.extend(tokenize(f"CAST({t.text} AS {ty})"))
            else:
                out.append(t)
        return out

    # ---- MERGE WITH SCHEMA EVOLUTION ---------------------------------------------------------------------------------
    @staticmethod
    def _merge_schema_evolution(tokens: list[Tok], tr: Translation) -> list[Tok]:
        """`MERGE WITH SCHEMA EVOLUTION INTO ...` (Databricks; Delta 4.0.1 parses it but fails to resolve it) -> the
        same MERGE with automatic schema evolution on for this statement only, which the clause is documented to be:
        https://docs.databricks.com/aws/en/delta/update-schema#merge-schema-evolution
        (`INSERT *` / `UPDATE SET *` add the source's new columns; target columns the source lacks stay NULL on insert)."""
        s = solid(tokens)
        if [tokens[i].text.upper() for i in s[:5]] != ["MERGE", "WITH", "SCHEMA", "EVOLUTION", "INTO"]:
            return tokens
        tr.conf["spark.databricks.delta.schema.autoMerge.enabled"] = "true"
        return tokens[: s[0] + 1] + tokens[s[3] + 1 :]

    # ---- three-part names ----------------------------------------------------------------------------------------
    def _catalog_names(self, tokens: list[Tok]) -> list[Tok]:
        """Unity Catalog's `main` catalog is Spark's session catalog (`spark_catalog`, Delta's DeltaCatalog).

        https://docs.databricks.com/aws/en/data-governance/unity-catalog/#the-unity-catalog-object-model
        (catalog.schema.table); a name is a catalog when two dots follow it: `main`.`s`.`t`.
        """
        s = solid(tokens)
        out = list(tokens)
        for k, i in enumerate(s):
            if (name_of(tokens[i]) or "").lower() != self.catalog or (k > 0 and tokens[s[k - 1]].text == "."):
                continue
            dotted = k + 2 < len(s) and tokens[s[k + 1]].text == "." and name_of(tokens[s[k + 2]]) is not None
            three = dotted and k + 4 < len(s) and tokens[s[k + 3]].text == "." and name_of(tokens[s[k + 4]]) is not None
            before = [tokens[j].text.upper() for j in s[max(0, k - 4) : k]]
            while before and before[-1] in ("IF", "NOT", "EXISTS"):
                before.pop()
            schema_ddl = dotted and bool(before) and before[-1] in ("SCHEMA", "DATABASE", "NAMESPACE", "SCHEMAS", "IN", "FROM")
            if three or schema_ddl:
                out[i] = Tok("word", "spark_catalog", "spark_catalog")
        return out

    # ---- information_schema ----------------------------------------------------------------------------------------
    def _information_schema(self, tokens: list[Tok], tr: Translation) -> list[Tok]:
        """`system.information_schema.X` / `<catalog>.information_schema.X` -> a view built from Spark's catalog.

        Unity Catalog stores catalog, schema and table names in lower case and reports `data_type` as upper-case type
        words without parameters (`STRING`, `BIGINT`, `DECIMAL`), `full_data_type` as the full SQL type:
        https://docs.databricks.com/aws/en/sql/language-manual/information-schema/columns
        https://docs.databricks.com/aws/en/sql/language-manual/information-schema/column_tags
        https://docs.databricks.com/aws/en/sql/language-manual/information-schema/table_tags
        """
        s = solid(tokens)
        out = list(tokens)
        builders = {"columns": self._columns_df, "tables": self._tables_df, "column_tags": self._column_tags_df, "table_tags": self._table_tags_df, "schemata": self._schemata_df}
        k = 0
        while k + 2 < len(s):
            a, dot, b = tokens[s[k]], tokens[s[k + 1]], tokens[s[k + 2]]
            if (name_of(b) or "").lower() == "information_schema" and dot.text == "." and (name_of(a) or "").lower() in ("system", self.catalog) and k + 4 < len(s) and tokens[s[k + 3]].text == "." and (name_of(tokens[s[k + 4]]) or "").lower() in builders:
                what = (name_of(tokens[s[k + 4]]) or "").lower()
                view = self._view(tr, builders[what]())
                out[s[k]] = Tok("word", view, view)
                for j in range(s[k] + 1, s[k + 4] + 1):
                    out[j] = Tok("space", "")
                k += 5
                continue
            k += 1
        return out

    def _tables(self):
        """(schema, table) of every table: SHOW commands read the catalog only (listTables would load each table)."""
        for ns in self.spark.sql("SHOW NAMESPACES IN spark_catalog").collect():
            for t in self.spark.sql(f"SHOW TABLES IN spark_catalog.{quote(ns[0])}").collect():
                if not t.isTemporary:
                    yield ns[0], t.tableName

    def _described(self, db: str, table: str):
        """(schema fields, table comment), cached per Delta log version: resolving a Delta table costs a snapshot."""
        log = os.path.join(self.warehouse, f"{db}.db", table, "_delta_log")
        try:
            version = max((f for f in os.listdir(log) if f.endswith(".json")), default=None)
        except OSError:
            version = None
        key = (db, table)
        hit = self._described_cache.get(key)
        if version is not None and hit and hit[0] == version:
            return hit[1]
        name = f"spark_catalog.{quote(db)}.{quote(table)}"
        fields = self.spark.table(name).schema.fields
        detail = self.spark.sql(f"DESCRIBE DETAIL {name}").collect() if version is not None else []
        comment = detail[0]["description"] if detail else None
        if version is not None:
            self._described_cache[key] = (version, (fields, comment))
        return fields, comment

    def _columns_df(self):
        rows = []
        for db, t in self._tables():
            fields, _ = self._described(db, t)
            for pos, f in enumerate(fields):
                full = f.dataType.simpleString().upper()
                rows.append((self.catalog, db.lower(), t.lower(), f.name, pos, "YES" if f.nullable else "NO", re.sub(r"[<(].*", "", full).strip(), full, f.metadata.get("comment")))
        return self.spark.createDataFrame(rows, "table_catalog string, table_schema string, table_name string, column_name string, ordinal_position int, is_nullable string, data_type string, full_data_type string, comment string")

    def _tables_df(self):
        rows = [(self.catalog, db.lower(), t.lower(), "MANAGED", self._described(db, t)[1]) for db, t in self._tables()]
        return self.spark.createDataFrame(rows, "table_catalog string, table_schema string, table_name string, table_type string, comment string")

    def _schemata_df(self):
        rows = [(self.catalog, ns[0].lower(), None) for ns in self.spark.sql("SHOW NAMESPACES IN spark_catalog").collect()]
        return self.spark.createDataFrame(rows, "catalog_name string, schema_name string, comment string")

    def _column_tags_df(self):
        rows = [(self.catalog, s, t, c, k, v) for (_, s, t, c), tags in self.column_tags.items() for k, v in tags.items()]
        return self.spark.createDataFrame(rows, "catalog_name string, schema_name string, table_name string, column_name string, tag_name string, tag_value string")

    def _table_tags_df(self):
        rows = [(self.catalog, s, t, k, v) for (_, s, t), tags in self.table_tags.items() for k, v in tags.items()]
        return self.spark.createDataFrame(rows, "catalog_name string, schema_name string, table_name string, tag_name string, tag_value string")

    # ---- COMMENT ON COLUMN / tags ----------------------------------------------------------------------------------
    def _comment_on_column(self, tokens: list[Tok]) -> list[Tok]:
        """`COMMENT ON COLUMN t.c IS 'x'` (Databricks) -> `ALTER TABLE t ALTER COLUMN c COMMENT 'x'` (Spark/Delta).

        https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-comment
        (COMMENT ON TABLE runs as sent: Spark has it.)
        """
        s = solid(tokens)
        words = [tokens[i].text.upper() for i in s[:3]]
        if words != ["COMMENT", "ON", "COLUMN"]:
            return tokens
        try:
            is_at = next(k for k in range(3, len(s)) if tokens[s[k]].text.upper() == "IS")
        except StopIteration:
            return tokens
        name = [tokens[i] for i in s[3:is_at] if tokens[i].text != "."]
        table = ".".join(t.text for t in name[:-1])
        rest = join(tokens[s[is_at] + 1 :]).strip()
        comment = "NULL" if rest.upper() == "NULL" else rest
        return tokenize(f"ALTER TABLE {table} ALTER COLUMN {name[-1].text} COMMENT {comment if comment != 'NULL' else repr('')}")

    def _tags(self, tokens: list[Tok]) -> bool:
        """`ALTER TABLE t [ALTER COLUMN c] SET TAGS ('k' = 'v', ...)` / `UNSET TAGS ('k', ...)`: Unity Catalog tags,
        recorded here and readable through information_schema.table_tags / column_tags. The table must exist.
        https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-set-tag
        https://docs.databricks.com/aws/en/sql/language-manual/sql-ref-syntax-ddl-alter-table-manage-column
        """
        s = solid(tokens)
        up = [tokens[i].text.upper() for i in s]
        if len(up) < 5 or up[0] != "ALTER" or up[1] not in ("TABLE", "VIEW"):
            return False
        try:
            at = next(k for k in range(2, len(up) - 1) if up[k] in ("SET", "UNSET") and up[k + 1] == "TAGS")
        except StopIteration:
            return False
        head = [tokens[i] for i in s[2:at]]
        column = None
        if len(head) >= 3 and head[-3].text.upper() in ("ALTER", "CHANGE") and head[-2].text.upper() == "COLUMN":
            column, head = name_of(head[-1]), head[:-3]
        elif len(head) >= 2 and head[-2].text.upper() in ("ALTER", "CHANGE"):
            column, head = name_of(head[-1]), head[:-2]
        parts = [name_of(t) or "" for t in head if t.text != "."]
        if len(parts) == 3:
            parts = parts[1:]
        if len(parts) == 1:
            parts = [self.spark.catalog.currentDatabase(), parts[0]]
        schema, table = parts[0].lower(), parts[1].lower()
        if not self.spark.catalog.tableExists(f"{quote(schema)}.{quote(table)}"):
            raise EngineError("TABLE_OR_VIEW_NOT_FOUND", f"The table or view `{self.catalog}`.`{schema}`.`{table}` cannot be found.")
        strings = [tokens[i].value for i in s[at + 2 :] if tokens[i].kind == "string"]
        key = (self.catalog, schema, table) if column is None else (self.catalog, schema, table, column)
        store = self.table_tags if column is None else self.column_tags
        tags = store.setdefault(key, {})  # type: ignore[arg-type]
        if up[at] == "SET":
            for k in range(0, len(strings) - 1, 2):
                tags[strings[k]] = strings[k + 1]
        else:
            for k in strings:
                tags.pop(k, None)
        return True

    # ---- read_files ------------------------------------------------------------------------------------------------
    def _read_files(self, tokens: list[Tok], params: dict[str, object], tr: Translation) -> list[Tok]:
        out: list[Tok] = []
        i = 0
        while i < len(tokens):
            t = tokens[i]
            if t.kind == "word" and t.text.lower() == "read_files":
                j = i + 1
                while j < len(tokens) and tokens[j].kind == "space":
                    j += 1
                if j < len(tokens) and tokens[j].text == "(":
                    end, args = self._call_args(tokens, j, params)
                    view = self._view(tr, read_files(self.spark, args))
                    out.append(Tok("word", view, view))
                    i = end + 1
                    continue
            out.append(t)
            i += 1
        return out

    def _call_args(self, tokens: list[Tok], open_at: int, params: dict[str, object]):
        depth, k, args, current = 0, open_at, [], []
        while k < len(tokens):
            t = tokens[k]
            if t.text == "(":
                depth += 1
                if depth == 1:
                    k += 1
                    continue
            elif t.text == ")":
                depth -= 1
                if depth == 0:
                    break
            if depth == 1 and t.text == ",":
                args.append(current)
                current = []
            else:
                current.append(t)
            k += 1
        args.append(current)
        positional: list[object] = []
        named: dict[str, object] = {}
        for arg in args:
            sig = [t for t in arg if t.kind != "space"]
            if not sig:
                continue
            if len(sig) >= 3 and sig[1].text == "=>":
                named[(name_of(sig[0]) or sig[0].text).lower()] = self._constant(sig[2:], params)
            else:
                positional.append(self._constant(sig, params))
        if not positional:
            raise EngineError("REQUIRED_PARAMETER_NOT_FOUND", "Cannot invoke function `read_files` because the parameter named `path` is required.")
        named["path"] = positional[0]
        return k, named

    @staticmethod
    def _constant(sig: list[Tok], params: dict[str, object]):
        if len(sig) == 1 and sig[0].kind == "string":
            return sig[0].value
        if len(sig) == 1 and sig[0].kind == "param":
            if sig[0].value not in params:
                raise EngineError("UNBOUND_SQL_PARAMETER", f"Found the unbound parameter: {sig[0].value}.")
            return params[sig[0].value]
        if len(sig) == 1 and sig[0].kind == "word" and sig[0].text.lower() in ("true", "false"):
            return sig[0].text.lower()
        raise EngineError("NOT_A_CONSTANT_STRING", f"read_files options must be constants, got `{join(sig)}`.")


_GLOB = re.compile(r"[*?\[{]")
_READ_FILES_OWN = {"path", "format", "schema", "schemaevolutionmode", "partitioncolumns"}


def _local(path: str) -> str:
    if path.startswith("file:"):
        return unquote(urlparse(path).path)
    if "://" in path:
        raise EngineError("UNSUPPORTED_DATA_SOURCE", f"only file:// paths are served by the local engine: {path}")
    if path.startswith("/Volumes/"):  # Unity Catalog volumes: a local folder (README, "Volumes")
        return os.path.join(os.environ.get("SPARK_ENGINE_VOLUMES_ROOT") or "/tmp/spark-engine-volumes", path[9:])
    return path


def _hidden(name: str) -> bool:
    """Spark's HadoopFSUtils.shouldFilterOutPathName, which Databricks' file listing shares:
    names starting with `_` (unless they contain `=`) or `.` are hidden; `_metadata`/`_common_metadata` are not."""
    if name.startswith("_common_metadata") or name.startswith("_metadata"):
        return False
    return (name.startswith("_") and "=" not in name) or name.startswith(".") or name.endswith("._COPYING_")


def _visible_files(path: str) -> tuple[str, list[str]]:
    """(base directory, visible data files) for a path that may contain globs, recursing into directories."""
    local = _local(path)
    parts = local.split("/")
    cut = next((k for k, p in enumerate(parts) if _GLOB.search(p)), len(parts))
    base = "/".join(parts[:cut]) or "/"
    matches = sorted(globlib.glob(local)) if cut < len(parts) else ([local] if os.path.exists(local) else [])
    files: list[str] = []
    for m in matches:
        rel = os.path.relpath(m, base) if cut < len(parts) else ""
        if any(_hidden(p) for p in rel.split("/") if p and p != "."):
            continue
        if os.path.isdir(m):
            for root, dirs, names in os.walk(m):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                files += [os.path.join(root, f) for f in sorted(names) if not _hidden(f)]
        elif not _hidden(os.path.basename(m)):
            files.append(m)
    if cut == len(parts) and os.path.isfile(local):
        base = os.path.dirname(local)
    return base, files


def read_files(spark, options: dict[str, object]):
    """Databricks' `read_files` table-valued function on Spark's file sources.
    https://docs.databricks.com/aws/en/sql/language-manual/functions/read_files

    - File discovery: a directory is read recursively; a glob selects files; hidden names (`_x`, `.x`) are skipped.
    - Partition inference: `key=value` directories between the path's non-glob prefix and the files become
      columns (`partitionColumns => ''` ignores them, a comma list keeps only those).
    - Schema: `schema => 'ddl'` fixes the columns; otherwise inferred, and an input with no files fails with
      CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE.
    - Rescued data: a `_rescued_data STRING` column is added unless `schemaEvolutionMode => 'none'` (Parquet files
      that match the schema rescue nothing, so it is NULL; a data column of that name is replaced, as Databricks'
      own column takes the name).
    """
    from pyspark.sql import functions as F

    path = str(options["path"])
    fmt = str(options.get("format", "parquet")).lower()
    schema = options.get("schema")
    mode = str(options.get("schemaevolutionmode", "addNewColumns" if schema is None else "none")).lower()
    base, files = _visible_files(path)
    if not files:
        if schema is None:
            raise EngineError("CF_EMPTY_DIR_FOR_SCHEMA_INFERENCE", f"Cannot infer schema when the input path `{path}` is empty. Please try to start the stream when there are files in the input path, or specify the schema.")
        df = spark.createDataFrame([], str(schema))
    else:
        reader = spark.read.format(fmt).option("basePath", "file://" + base)
        for key, value in options.items():  # the format's own options (multiLine, ...), as read_files passes them on
            if key not in _READ_FILES_OWN:
                reader = reader.option(key, str(value))
        if schema is not None:
            reader = reader.schema(str(schema))
        df = reader.load(["file://" + f for f in files])
        wanted = options.get("partitioncolumns")
        if wanted is not None:
            keep = {c.strip().lower() for c in str(wanted).split(",") if c.strip()}
            inferred = _partition_names(base, files)
            df = df.drop(*[c for c in df.columns if c.lower() in inferred and c.lower() not in keep])
    if mode != "none":
        df = df.drop("_rescued_data").withColumn("_rescued_data", F.lit(None).cast("string"))
    return df


def _partition_names(base: str, files: list[str]) -> set[str]:
    names: set[str] = set()
    for f in files:
        for p in os.path.relpath(os.path.dirname(f), base).split("/"):
            if "=" in p:
                names.add(p.split("=", 1)[0].lower())
    return names
