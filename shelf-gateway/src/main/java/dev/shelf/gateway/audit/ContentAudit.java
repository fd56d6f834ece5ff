package dev.shelf.gateway.audit;

import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One request in the content audit. In {@link AuditMode#FULL} mode {@code request} and {@code
 * response} hold the text; in {@link AuditMode#HASHED} mode the lowercase hex SHA-256 of its UTF-8
 * bytes, never the text; in {@link AuditMode#OFF} mode both are null and the row exists only to
 * record {@code policyHits}. Either is null when there was none (a body that did not parse, a
 * request that failed before any answer). {@code id} is assigned by the store (0 before).
 *
 * @param request the input messages or prompt, flattened (see {@link AuditText})
 * @param response the generated text
 */
public record ContentAudit(
    long id,
    String requestId,
    String teamId,
    String keyId,
    String endpoint,
    String model,
    AuditMode mode,
    @Nullable String request,
    @Nullable String response,
    int status,
    List<PolicyHit> policyHits,
    long createdMs) {
  public ContentAudit {
    policyHits = List.copyOf(policyHits);
  }
}
