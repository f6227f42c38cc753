/*
 * Copyright (c) 2026 The dpfip authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at:
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

#ifndef DPFIP_TEST_CHECK_H
#define DPFIP_TEST_CHECK_H 1

/* Checks for dpfip's ovstest unit tests: each failing CHECK prints what it
 * tested and goes on, and check_exit() prints "N checks, M failed" (what
 * tests/dpfip.at looks for) and exits with the result.  Include it in one
 * file of a test only. */

#include <stdio.h>
#include <stdlib.h>

static int n_checks;
static int n_failures;

#define CHECK(COND, ...)                                        \
    do {                                                        \
        n_checks++;                                             \
        if (!(COND)) {                                          \
            n_failures++;                                       \
            printf("%s:%d: check failed: %s: ", __FILE__,       \
                   __LINE__, #COND);                            \
            printf(__VA_ARGS__);                                \
            putchar('\n');                                      \
        }                                                       \
    } while (0)

static inline void
check_exit(void)
{
    printf("%d checks, %d failed\n", n_checks, n_failures);
    exit(n_failures ? 1 : 0);
}

#endif /* dpfip-test-check.h */
