package dev.shelf.gateway.audit;

import org.jspecify.annotations.Nullable;

/**
 * A user's report about a response, found by its request id, and its review: who handled it last
 * ({@code handledBy}, an admin key id), with what {@code resolution} note. Times are epoch ms;
 * {@code updatedMs} moves with every change of status or note.
 *
 * @param keyId the key that reported it
 * @param reason a short category (e.g. {@code harmful}, {@code inaccurate})
 */
public record Complaint(
    String id,
    String requestId,
    String teamId,
    String keyId,
    String reason,
    String detail,
    ComplaintStatus status,
    @Nullable String resolution,
    @Nullable String handledBy,
    long createdMs,
    long updatedMs) {}
