/** Ops reports: inventory (every secret, one state each) and run history, as JSON, CSV or HTML. */

export { mapLimit, settleLimit } from '../concurrency.js';
export {
  type CollectDeps,
  type CollectOptions,
  collectInventory,
  type InventoryScan,
  lastSweepTime,
  providerModes,
  runLookbackDays,
} from './collect.js';
export {
  CSV_BOM,
  type CsvColumn,
  csvCell,
  HISTORY_COLUMNS,
  historyCsv,
  INVENTORY_COLUMNS,
  inventoryCsv,
  toCsv,
} from './csv.js';
export {
  buildHistory,
  collectHistory,
  DEFAULT_HISTORY_LIMIT,
  type HistoryQuery,
  type HistoryReport,
  type HistoryRow,
  historyQuerySchema,
  historyRow,
  matchesQuery,
  parseHistoryQuery,
} from './history.js';
export { formatDuration, renderHistoryHtml } from './html-history.js';
export { renderInventoryHtml, STATE_LABELS } from './html-inventory.js';
export { esc, REPORT_CSP, REPORT_HTML_HEADERS } from './html-page.js';
export {
  buildInventory,
  buildInventoryRow,
  compareRows,
  filterInventory,
  groupBusy,
  groupKey,
  groupRuns,
  type InventoryInput,
  type InventoryProblem,
  type InventoryReport,
  type InventoryRow,
  type InventoryRunRef,
  parseInventoryState,
  type VaultListing,
} from './inventory.js';
export {
  parseReportFormat,
  REPORT_FORMATS,
  type RenderedReport,
  type ReportFormat,
  renderReport,
} from './render.js';
export {
  DAY_MS,
  DUE_WINDOW_DAYS,
  deriveState,
  INVENTORY_STATES,
  type InventoryState,
  isInProgress,
  isPoisoned,
  latestRelevantRun,
  type StateDecision,
  type StateInput,
} from './states.js';
