/** Every version a routing table can route to (shared with the agent through core). */
export { tableVersions as versionsOf } from '@steward/core';
