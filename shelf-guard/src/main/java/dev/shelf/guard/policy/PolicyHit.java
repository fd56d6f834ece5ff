package dev.shelf.guard.policy;

/**
 * One rule that fired.
 *
 * @param policy the policy's name
 * @param rule the rule's kind: keywords, pii, injection or moderation
 * @param category what matched: a keyword library's category, a PII type, the injection signals, or
 *     the moderation model's categories
 * @param detail a short, secret-free description (a listed term, a score; never a PII value)
 */
public record PolicyHit(
    Stage stage, String policy, String rule, String category, Action action, String detail) {}
