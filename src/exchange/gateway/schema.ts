import type { ColumnType } from 'kysely';

/** Row types of the exchange gateway's tables (migration 017); listed in src/store/schema.ts's Database. */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type NullableTime = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;

export interface ExchangeUsageTable {
  agreement_id: string;
  period_start: Timestamp;
  /** Migration 025: the period's count is spread over slots (quota.ts). */
  slot: number;
  calls: number;
}

export interface ExchangeReceiptsTable {
  id: string;
  partner_url: string;
  agreement: string;
  resource_id: string;
  purpose: string;
  request_url: string;
  status: number;
  body: string;
  response_sha256: string;
  jws: string;
  kid: string;
  verified: boolean;
  timestamp_token: string | null;
  timestamp_time: NullableTime;
  row_count: number;
  received_by: string | null;
  received: Timestamp;
}

/** Migration 026: client certificates an agreement's partner may call the gateway with (mutual TLS). */
export interface AgreementClientCertsTable {
  agreement_id: string;
  /** Upper-case hex with colons, as Node's fingerprint256. */
  fingerprint: string;
  subject: string;
  issuer: string;
  serial: string;
  not_before: Timestamp;
  not_after: Timestamp;
  added_by: string | null;
  added: Timestamp;
}

export interface ExchangeTables {
  agreement_client_certs: AgreementClientCertsTable;
  exchange_usage: ExchangeUsageTable;
  exchange_receipts: ExchangeReceiptsTable;
}
