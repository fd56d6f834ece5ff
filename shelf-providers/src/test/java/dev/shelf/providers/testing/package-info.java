/**
 * Test helpers shared by the provider tests: {@link dev.shelf.providers.testing.LoopbackStub}, a
 * vendor stand-in on loopback that every adapter's end-to-end and conformance tests talk to.
 */
@NullMarked
package dev.shelf.providers.testing;

import org.jspecify.annotations.NullMarked;
