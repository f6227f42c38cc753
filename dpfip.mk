# dpfip sources in Open vSwitch's build.  Included by OVS's Makefile.am
# (vswitchd-patches/0001); paths are relative to the OVS tree, where
# dpfip/ links back into the dpfip source checkout.

lib_libopenvswitch_la_SOURCES += \
	dpfip/lib/dpfip-offload-provider.c \
	dpfip/lib/dpfip-offload-provider.h \
	dpfip/lib/dpfip-offload-rte-flow.c \
	dpfip/lib/dpfip-offload-spec.c \
	dpfip/lib/dpfip-offload-tc.c \
	dpfip/lib/dpfip-offload-tc.h \
	dpfip/lib/odp-dpfip.c \
	dpfip/lib/odp-dpfip.h \
	dpfip/lib/ofp-dpfip.c \
	dpfip/lib/ofp-dpfip.h

ofproto_libofproto_la_SOURCES += \
	dpfip/ofproto-dpfip/dpfip.c \
	dpfip/ofproto-dpfip/dpfip.h \
	dpfip/ofproto-dpfip/dpfip-config.c \
	dpfip/ofproto-dpfip/dpfip-config.h \
	dpfip/ofproto-dpfip/dpfip-icmp.c \
	dpfip/ofproto-dpfip/dpfip-icmp.h \
	dpfip/ofproto-dpfip/dpfip-neigh.c \
	dpfip/ofproto-dpfip/dpfip-neigh.h \
	dpfip/ofproto-dpfip/dpfip-offload.c \
	dpfip/ofproto-dpfip/dpfip-offload.h \
	dpfip/ofproto-dpfip/dpfip-private.h \
	dpfip/ofproto-dpfip/dpfip-route.c \
	dpfip/ofproto-dpfip/dpfip-route.h \
	dpfip/ofproto-dpfip/dpfip-unixctl.c \
	dpfip/ofproto-dpfip/dpfip-xlate.c

# The key parsing is pure: its unit test links it on its own.
tests_ovstest_SOURCES += \
	dpfip/tests/dpfip-test-check.h \
	dpfip/tests/test-dpfip-config.c \
	dpfip/ofproto-dpfip/dpfip-config.c

# The tc provider against a model of mlx5e (the provider is in
# libopenvswitch).
tests_ovstest_SOURCES += dpfip/tests/test-dpfip-tc.c

# The fused rewrite against OVS's masked set actions (both in
# libopenvswitch).
tests_ovstest_SOURCES += dpfip/tests/test-dpfip-rewrite.c

# dpfip-macros.at: macros every dpfip .at file includes.
COMMON_MACROS_AT += dpfip/tests/dpfip-macros.at

MAN_FRAGMENTS += dpfip/ofproto-dpfip/dpfip-unixctl.man

# dpfip's own autotest suites, next to OVS's (whose testsuite files stay
# as they are): unit tests on netdev-dummy, traffic tests on the userspace
# datapath, offload tests with DPDK, tests under real OVN.
DPFIP_TESTSUITE = $(srcdir)/tests/dpfip-testsuite
DPFIP_TESTSUITE_AT = \
	dpfip/tests/dpfip-testsuite.at \
	dpfip/tests/dpfip.at
DPFIP_SYSTEM_TESTSUITE = $(srcdir)/tests/system-dpfip-userspace-testsuite
DPFIP_SYSTEM_TESTSUITE_AT = \
	dpfip/tests/system-dpfip-userspace-testsuite.at \
	dpfip/tests/system-dpfip.at \
	dpfip/tests/system-dpfip-route.at \
	tests/system-common-macros.at \
	tests/system-userspace-macros.at
DPFIP_DPDK_TESTSUITE = $(srcdir)/tests/system-dpfip-dpdk-testsuite
DPFIP_DPDK_TESTSUITE_AT = \
	dpfip/tests/system-dpfip-dpdk-testsuite.at \
	dpfip/tests/system-dpfip-dpdk.at \
	tests/system-common-macros.at \
	tests/system-dpdk-macros.at
DPFIP_OVN_TESTSUITE = $(srcdir)/tests/system-dpfip-ovn-testsuite
DPFIP_OVN_TESTSUITE_AT = \
	dpfip/tests/system-dpfip-ovn-testsuite.at \
	dpfip/tests/system-dpfip-ovn.at \
	tests/system-common-macros.at \
	tests/system-userspace-macros.at
EXTRA_DIST += $(DPFIP_TESTSUITE_AT) $(DPFIP_SYSTEM_TESTSUITE_AT) \
	$(DPFIP_DPDK_TESTSUITE_AT) $(DPFIP_OVN_TESTSUITE_AT)

$(DPFIP_TESTSUITE): package.m4 $(DPFIP_TESTSUITE_AT) $(COMMON_MACROS_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp \
	    $(srcdir)/dpfip/tests/dpfip-testsuite.at
	$(AM_V_at)mv $@.tmp $@
$(DPFIP_SYSTEM_TESTSUITE): package.m4 $(DPFIP_SYSTEM_TESTSUITE_AT) \
		$(COMMON_MACROS_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp \
	    $(srcdir)/dpfip/tests/system-dpfip-userspace-testsuite.at
	$(AM_V_at)mv $@.tmp $@
$(DPFIP_DPDK_TESTSUITE): package.m4 $(DPFIP_DPDK_TESTSUITE_AT) \
		$(COMMON_MACROS_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp \
	    $(srcdir)/dpfip/tests/system-dpfip-dpdk-testsuite.at
	$(AM_V_at)mv $@.tmp $@

$(DPFIP_OVN_TESTSUITE): package.m4 $(DPFIP_OVN_TESTSUITE_AT) \
		$(COMMON_MACROS_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp \
	    $(srcdir)/dpfip/tests/system-dpfip-ovn-testsuite.at
	$(AM_V_at)mv $@.tmp $@

check-dpfip: all $(DPFIP_TESTSUITE) tests/atconfig tests/atlocal
	$(SHELL) '$(DPFIP_TESTSUITE)' -C tests AUTOTEST_PATH='$(AUTOTEST_PATH)' \
	    $(TESTSUITEFLAGS)
check-dpfip-system: all $(DPFIP_SYSTEM_TESTSUITE) tests/atconfig \
		tests/atlocal
	$(SHELL) '$(DPFIP_SYSTEM_TESTSUITE)' -C tests \
	    AUTOTEST_PATH='$(AUTOTEST_PATH)' $(TESTSUITEFLAGS) -j1
check-dpfip-dpdk: all $(DPFIP_DPDK_TESTSUITE) tests/atconfig tests/atlocal
	$(SHELL) '$(DPFIP_DPDK_TESTSUITE)' -C tests \
	    AUTOTEST_PATH='$(AUTOTEST_PATH)' $(TESTSUITEFLAGS) -j1
check-dpfip-ovn: all $(DPFIP_OVN_TESTSUITE) tests/atconfig tests/atlocal
	$(SHELL) '$(DPFIP_OVN_TESTSUITE)' -C tests \
	    AUTOTEST_PATH='$(AUTOTEST_PATH)' $(TESTSUITEFLAGS) -j1
.PHONY: check-dpfip check-dpfip-system check-dpfip-dpdk check-dpfip-ovn

# dpfip on the kernel datapath with tc flower offload: its own testsuite
# (OVS's kmod macros + system-dpfip.at + system-dpfip-kernel.at), run in
# the kernel lab by the top-level "make check-kernel".
DPFIP_KERNEL_TESTSUITE = $(srcdir)/tests/system-dpfip-kernel-testsuite
DPFIP_KERNEL_TESTSUITE_AT = \
	dpfip/tests/system-dpfip-kernel-testsuite.at \
	dpfip/tests/system-dpfip-kernel.at \
	dpfip/tests/system-dpfip.at \
	tests/system-common-macros.at \
	tests/system-kmod-macros.at
EXTRA_DIST += $(DPFIP_KERNEL_TESTSUITE_AT)
$(DPFIP_KERNEL_TESTSUITE): package.m4 $(DPFIP_KERNEL_TESTSUITE_AT) \
		$(COMMON_MACROS_AT)
	$(AM_V_GEN)$(AUTOTEST) -I '$(srcdir)' -o $@.tmp \
	    $(srcdir)/dpfip/tests/system-dpfip-kernel-testsuite.at
	$(AM_V_at)mv $@.tmp $@
dpfip-kernel-testsuite: all $(DPFIP_KERNEL_TESTSUITE) tests/atconfig \
		tests/atlocal
.PHONY: dpfip-kernel-testsuite
check-dpfip-kernel: dpfip-kernel-testsuite
	$(srcdir)/dpfip/tests/kernel-lab/testsuite.sh '$(abs_builddir)' \
	    $(TESTSUITEFLAGS)
.PHONY: check-dpfip-kernel

# The dpfip action's fuzz target (tests/fuzz/), built like OVS's
# tests/oss-fuzz/ targets (LIB_FUZZING_ENGINE=-fsanitize=fuzzer, CFLAGS with
# -fsanitize=address,fuzzer-no-link).  Never built by "make": the top-level
# "make check-fuzz" builds it in an OVS tree of its own, configured with
# clang.
EXTRA_PROGRAMS += dpfip/tests/fuzz/dpfip_action_target
dpfip_tests_fuzz_dpfip_action_target_SOURCES = \
	dpfip/tests/fuzz/dpfip_action_target.c
dpfip_tests_fuzz_dpfip_action_target_LDADD = lib/libopenvswitch.la
dpfip_tests_fuzz_dpfip_action_target_LDFLAGS = $(LIB_FUZZING_ENGINE)
# What "make all" would generate first (e.g. odp-netlink.h), then the target.
dpfip-fuzz-target: $(BUILT_SOURCES)
	$(MAKE) $(AM_MAKEFLAGS) dpfip/tests/fuzz/dpfip_action_target
.PHONY: dpfip-fuzz-target
