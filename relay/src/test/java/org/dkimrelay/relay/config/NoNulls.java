package org.dkimrelay.relay.config;

import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.Optional;

/** Walks a settings record and every record inside it: the first null component, if any. */
public final class NoNulls {
  private NoNulls() {}

  public static Optional<String> firstNull(Object value, String path) {
    if (value == null) {
      return Optional.of(path);
    }
    if (value instanceof Optional<?> optional) {
      return optional.flatMap(inner -> firstNull(inner, path));
    }
    if (value instanceof Collection<?> items) {
      return items.stream().flatMap(item -> firstNull(item, path + "[]").stream()).findFirst();
    }
    if (!value.getClass().isRecord()) {
      return Optional.empty();
    }
    for (RecordComponent component : value.getClass().getRecordComponents()) {
      try {
        Object inner = component.getAccessor().invoke(value);
        Optional<String> found = firstNull(inner, path + "." + component.getName());
        if (found.isPresent()) {
          return found;
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return Optional.empty();
  }
}
