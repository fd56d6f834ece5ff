/** The openai adapter's HTTP plumbing and error mapping. */
@NullMarked
package dev.shelf.providers.openai.internal;

import org.jspecify.annotations.NullMarked;
