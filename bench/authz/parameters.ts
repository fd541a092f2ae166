// The sizes of the directory benchmark: its data set, its measurements and its target, in one place.

// --- The data set -------------------------------------------------------------------------------

export const SEED = 20_261_128;
export const BUSINESS_GROUPS = 10_000;
/** Business group k (1-based, breadth-first) hangs under node floor((k - 1) / FAN_OUT): depth 9. */
export const FAN_OUT = 3;
export const USERS = 20_000;
/** Users 0 … USERS_WITH_ROLES-1 receive the random assignments; the rest hold nothing (bar one). */
export const USERS_WITH_ROLES = 16_000;
export const ASSIGNMENTS = 200_000;
export const CUSTOM_ROLES = 20;
/** Share of nodes that have environments (1 to 3 each). */
export const NODES_WITH_ENVIRONMENTS = 0.3;
export const ENVIRONMENT_SCOPED_SHARE = 0.1;
export const ADMINISTRATORS_SHARE = 0.03;
export const OTHER_BUILT_IN_SHARE = 0.2;
export const INHERIT_SHARE = 0.25;
/** The user whose visible tree is measured holds one role in each of this many nodes. */
export const VISIBLE_USER_NODES = 100;
export const VISIBLE_USER_INHERITING = 15;
export const ENVIRONMENT_TYPES = ['production', 'sandbox', 'design'] as const;
export const INSERT_BATCH = 5_000;

// --- The measurements ---------------------------------------------------------------------------

export const CHECK_QUERIES = 1_000_000;
export const BATCH = 100;
export const WARMUP_CHECKS = 200_000;
export const THROUGHPUT_PASSES = 3;
export const INDEX_BUILDS = 3;
export const VISIBLE_RUNS = 500;
export const SQL_CHECKS = 2_000;
export const SQL_WARMUP = 100;
export const SQL_VISIBLE_RUNS = 50;
/** Runs of each way of bringing the index to the next version: full reload, user-scoped, tree-scoped. */
export const UPDATE_RUNS = 5;
/** can() queries compared between a derived index and a full rebuild, per kind of change. */
export const UPDATE_CHECK_QUERIES = 10_000;
/** Users whose visibleNodes() are compared after the tree change. */
export const UPDATE_CHECK_VISIBLE_USERS = 200;

export const TARGET_CHECK_P99_NS = 50_000;
