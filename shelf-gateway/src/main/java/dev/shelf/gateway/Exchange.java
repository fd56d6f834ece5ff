package dev.shelf.gateway;

import dev.shelf.api.Usage;
import dev.shelf.gateway.audit.AuditCapture;
import dev.shelf.gateway.audit.PolicyHit;
import dev.shelf.gateway.catalog.Price;
import dev.shelf.gateway.limits.Admission;
import org.jspecify.annotations.Nullable;

/**
 * What happened to one client request, filled in as it goes: the server reads it for response
 * headers ({@code x-shelf-deployment}, {@code x-shelf-attempts}), the access log and metrics.
 */
public final class Exchange {
  private final String requestId;
  private final String endpoint;
  private final long startNanos = System.nanoTime();
  private final @Nullable String keyName;
  private volatile @Nullable String model;
  private volatile @Nullable String servedModel;
  private volatile @Nullable String deployment;
  private volatile int attempts;
  private volatile int fallbacks;
  private volatile long firstByteNanos;
  private volatile @Nullable Usage usage;
  private volatile boolean usageEstimated;
  private volatile int status = 200;
  private volatile @Nullable String errorCode;
  private volatile @Nullable Price price;
  private volatile String keyId = "anonymous";
  private volatile String teamId = "default";
  private volatile Admission.@Nullable Ticket ticket;
  private volatile boolean recorded;
  private final AuditCapture audit = new AuditCapture();

  public Exchange(String requestId, String endpoint, @Nullable String keyName) {
    this.requestId = requestId;
    this.endpoint = endpoint;
    this.keyName = keyName;
  }

  public String requestId() {
    return requestId;
  }

  public String endpoint() {
    return endpoint;
  }

  public long startNanos() {
    return startNanos;
  }

  public @Nullable String keyName() {
    return keyName;
  }

  public @Nullable String model() {
    return model;
  }

  public void model(String m) {
    model = m;
  }

  public @Nullable String servedModel() {
    return servedModel;
  }

  public @Nullable String deployment() {
    return deployment;
  }

  public void served(String modelId, String deploymentId) {
    servedModel = modelId;
    deployment = deploymentId;
  }

  /** The list price of the deployment that served the request, when it has one. */
  public @Nullable Price price() {
    return price;
  }

  void price(@Nullable Price p) {
    price = p;
  }

  /** Who is billed: the key and team ids the ledger records. */
  public void billedTo(String key, String team) {
    keyId = key;
    teamId = team;
  }

  public String keyId() {
    return keyId;
  }

  public String teamId() {
    return teamId;
  }

  /** What admission reserved for this request; settled once it is metered. */
  public Admission.@Nullable Ticket ticket() {
    return ticket;
  }

  public void ticket(Admission.Ticket t) {
    ticket = t;
  }

  /** Whether the usage record was written (so the error path does not write a second one). */
  public boolean recorded() {
    return recorded;
  }

  public void recorded(boolean r) {
    recorded = r;
  }

  public int attempts() {
    return attempts;
  }

  void attempt() {
    attempts++;
  }

  public int fallbacks() {
    return fallbacks;
  }

  void fallback() {
    fallbacks++;
  }

  /** Nanoseconds from arrival to the first upstream chunk, or 0 if none came. */
  public long firstByteNanos() {
    return firstByteNanos;
  }

  void firstByte() {
    if (firstByteNanos == 0) {
      firstByteNanos = System.nanoTime() - startNanos;
    }
  }

  public @Nullable Usage usage() {
    return usage;
  }

  public boolean usageEstimated() {
    return usageEstimated;
  }

  public void usage(Usage u, boolean estimated) {
    usage = u;
    usageEstimated = estimated;
  }

  public int status() {
    return status;
  }

  public @Nullable String errorCode() {
    return errorCode;
  }

  public void fail(int httpStatus, @Nullable String code) {
    status = httpStatus;
    errorCode = code;
  }

  /** What the content audit keeps of this request: its mode, input, output and policy hits. */
  public AuditCapture audit() {
    return audit;
  }

  /**
   * Records that a content policy fired: {@code stage} {@code "input"} or {@code "output"} ({@link
   * PolicyHit#INPUT}, {@link PolicyHit#OUTPUT}), the {@code rule} (policy) that fired, the {@code
   * category} it found and the {@code action} taken ({@code block}, {@code redact}, {@code flag},
   * ...). Kept in the content audit whatever the team's audit mode, without content when it is off.
   */
  public void policyHit(String stage, String rule, String category, String action) {
    audit.policyHit(new PolicyHit(stage, rule, category, action));
  }
}
