/**
 * What a Databricks SQL file task does with its file, for the Jobs API fake: split the file into statements at
 * top-level semicolons (not inside strings, backtick identifiers or comments), and run them in order on a SQL
 * warehouse through the Statement Execution API, each with the job parameters it names as `:name` markers
 * (https://docs.databricks.com/aws/en/jobs/sql: "The file can contain multiple SQL statements separated by
 * semicolons"; job parameters are pushed down to the task). The first failure ends the run.
 */
export interface SqlWarehouse {
  readonly host: string;
  readonly token: string;
  readonly warehouseId: string;
}

/** One statement of a SQL file and the parameter names it uses. */
export interface FileStatement {
  readonly sql: string;
  readonly parameters: readonly string[];
}

export function splitSqlFile(text: string): FileStatement[] {
  const out: FileStatement[] = [];
  let sql = '';
  let masked = ''; // the statement with strings, identifiers and comments blanked: where markers are looked for
  let i = 0;
  const end = () => {
    const code = masked.replace(/\s+/g, '');
    if (code) {
      const names = new Set([...masked.matchAll(/(?<![:\w]):([A-Za-z_]\w*)/g)].map((m) => m[1] as string));
      out.push({ sql: sql.trim(), parameters: [...names] });
    }
    sql = '';
    masked = '';
  };
  while (i < text.length) {
    const c = text[i] as string;
    let j = i + 1;
    if (c === "'" || c === '"' || c === '`') {
      while (j < text.length && text[j] !== c) j += c !== '`' && text[j] === '\\' ? 2 : 1;
      j += 1;
    } else if (text.startsWith('--', i)) {
      j = text.indexOf('\n', i);
      j = j < 0 ? text.length : j;
    } else if (text.startsWith('/*', i)) {
      j = text.indexOf('*/', i + 2);
      j = j < 0 ? text.length : j + 2;
    } else if (c === ';') {
      end();
      i = j;
      continue;
    }
    const piece = text.slice(i, j);
    sql += piece;
    masked += piece.length > 1 || c === "'" || c === '`' ? ' '.repeat(piece.length) : piece;
    i = j;
  }
  end();
  return out;
}

/** Runs the statements in order; resolves, or rejects with the first failure's message. */
export async function runSqlFile(
  warehouse: SqlWarehouse,
  statements: readonly FileStatement[],
  parameters: Readonly<Record<string, string>>,
): Promise<void> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${warehouse.host}${path}`, {
      method,
      headers: { Authorization: `Bearer ${warehouse.token}`, 'Content-Type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return (await res.json()) as {
      statement_id: string;
      status: { state: string; error?: { message?: string } };
    };
  };
  for (const s of statements) {
    let st = await call('POST', '/api/2.0/sql/statements', {
      warehouse_id: warehouse.warehouseId,
      statement: s.sql,
      parameters: s.parameters.map((name) => ({ name, value: parameters[name] ?? null })),
      wait_timeout: '50s',
      on_wait_timeout: 'CONTINUE',
      format: 'JSON_ARRAY',
      disposition: 'INLINE',
    });
    while (st.status.state === 'PENDING' || st.status.state === 'RUNNING') {
      await new Promise((r) => setTimeout(r, 100));
      st = await call('GET', `/api/2.0/sql/statements/${st.statement_id}`);
    }
    if (st.status.state !== 'SUCCEEDED') {
      throw new Error(st.status.error?.message ?? `statement ${st.status.state}`);
    }
  }
}
