package io.xstunt.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.xstunt.engine.ErrorStat;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The public error codes and the engine's table (the reference's) match name for name and value for value. */
class ErrorCodeTest {
    @Test
    void everyEngineCodeHasThePublicCodeOfTheSameNameAndValue() {
        for (ErrorStat stat : ErrorStat.values()) {
            ErrorCode code = ErrorCode.of(stat);
            assertEquals(stat.name(), code.name());
            assertEquals(stat.value(), code.value(), stat.name());
            assertSame(code, ErrorCode.ofValue(stat.value()));
        }
    }

    @Test
    void thePublicTableHasNoCodeTheEngineLacks() {
        assertEquals(Arrays.stream(ErrorStat.values()).map(Enum::name).toList(),
                Arrays.stream(ErrorCode.values()).map(Enum::name).toList());
    }
}
