/** The platform core: the request path from a decoded request to a provider and back. */
@NullMarked
package dev.shelf.gateway;

import org.jspecify.annotations.NullMarked;
