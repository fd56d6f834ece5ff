/** shelf.yaml: loading, ${ENV} references, validation with file, line and key, reload. */
@NullMarked
package dev.shelf.gateway.config;

import org.jspecify.annotations.NullMarked;
