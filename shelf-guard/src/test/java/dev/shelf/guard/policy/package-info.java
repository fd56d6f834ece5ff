@NullMarked
package dev.shelf.guard.policy;

import org.jspecify.annotations.NullMarked;
