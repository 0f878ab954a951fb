/** Response objects of protocol §3, built from database rows. */
import type { KeyRow } from "../db/keys.ts";

export function keyView(k: KeyRow) {
  return { id: k.id, label: k.label, role: k.role, active: k.active, created_date: k.created_date, last_used: k.last_used };
}
