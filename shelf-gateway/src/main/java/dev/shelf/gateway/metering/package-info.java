/**
 * The usage ledger: one record per request, committed in groups before the response's last bytes
 * leave, idempotent by request id.
 */
@NullMarked
package dev.shelf.gateway.metering;

import org.jspecify.annotations.NullMarked;
