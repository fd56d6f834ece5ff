/**
 * Guardrails as a library over text, the foundations of the policy pipeline (issue 7).
 *
 * <ul>
 *   <li>{@link dev.shelf.guard.text}: the normalisation every matcher shares (NFKC, case folding,
 *       separator removal, traditional to simplified Chinese) with offsets back to the original.
 *   <li>{@link dev.shelf.guard.keyword}: keyword libraries compiled into one Aho-Corasick
 *       automaton, swapped atomically on reload, and the streaming output filter.
 *   <li>{@link dev.shelf.guard.pii}: validated PII detectors and reversible redaction.
 *   <li>{@link dev.shelf.guard.injection}: a weighted prompt-injection and jailbreak scorer.
 * </ul>
 *
 * <p>Nothing here knows about requests, keys or teams: the gateway's policy hook (not written yet)
 * decides which library applies to whom and what a hit does (block, redact, flag).
 */
@NullMarked
package dev.shelf.guard;

import org.jspecify.annotations.NullMarked;
