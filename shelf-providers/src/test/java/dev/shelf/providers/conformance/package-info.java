/**
 * The provider conformance suite: one abstract test body ({@link
 * dev.shelf.providers.conformance.ProviderConformanceTest}) that every provider adapter passes, one
 * small fixture per vendor that renders the suite's canonical scenarios in that vendor's wire
 * format and serves them from a loopback stub ({@link dev.shelf.providers.testing.LoopbackStub}).
 */
@NullMarked
package dev.shelf.providers.conformance;

import org.jspecify.annotations.NullMarked;
