/**
 * Numbered migrations from `sql/`, embedded as text so the compiled binary carries them. Add a
 * file to sql/ and a line here; tests/server/foundation.test.ts fails when the two disagree.
 */
import m001 from "../../sql/001_schema.sql" with { type: "text" };
import m002 from "../../sql/002_extensions.sql" with { type: "text" };
import m003 from "../../sql/003_image_files.sql" with { type: "text" };
import m004 from "../../sql/004_key_change_notify.sql" with { type: "text" };
import m005 from "../../sql/005_lean_indexes.sql" with { type: "text" };
import m006 from "../../sql/006_record_upload.sql" with { type: "text" };
import m007 from "../../sql/007_big_table_indexes.sql" with { type: "text" };

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  { id: 1, name: "001_schema.sql", sql: m001 },
  { id: 2, name: "002_extensions.sql", sql: m002 },
  { id: 3, name: "003_image_files.sql", sql: m003 },
  { id: 4, name: "004_key_change_notify.sql", sql: m004 },
  { id: 5, name: "005_lean_indexes.sql", sql: m005 },
  { id: 6, name: "006_record_upload.sql", sql: m006 },
  { id: 7, name: "007_big_table_indexes.sql", sql: m007 },
];
