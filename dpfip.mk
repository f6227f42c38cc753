# dpfip sources in Open vSwitch's build.  Included by OVS's Makefile.am
# (vswitchd-patches/0001); paths are relative to the OVS tree, where
# dpfip/ links back into the dpfip source checkout.

lib_libopenvswitch_la_SOURCES += \
	dpfip/lib/dpfip-offload-provider.h \
	dpfip/lib/dpfip-offload-rte-flow.c \
	dpfip/lib/dpfip-offload-tc.c \
	dpfip/lib/ofp-dpfip.c \
	dpfip/lib/ofp-dpfip.h

ofproto_libofproto_la_SOURCES += \
	dpfip/ofproto-dpfip/dpfip.c \
	dpfip/ofproto-dpfip/dpfip.h \
	dpfip/ofproto-dpfip/dpfip-announce.c \
	dpfip/ofproto-dpfip/dpfip-announce.h \
	dpfip/ofproto-dpfip/dpfip-config.c \
	dpfip/ofproto-dpfip/dpfip-config.h \
	dpfip/ofproto-dpfip/dpfip-flows.c \
	dpfip/ofproto-dpfip/dpfip-flows.h \
	dpfip/ofproto-dpfip/dpfip-offload.c \
	dpfip/ofproto-dpfip/dpfip-offload.h \
	dpfip/ofproto-dpfip/dpfip-private.h \
	dpfip/ofproto-dpfip/dpfip-route.c \
	dpfip/ofproto-dpfip/dpfip-route.h \
	dpfip/ofproto-dpfip/dpfip-unixctl.c \
	dpfip/ofproto-dpfip/dpfip-xlate.c

# dpfip-macros.at: macros every dpfip .at file includes.
COMMON_MACROS_AT += dpfip/tests/dpfip-macros.at
TESTSUITE_AT += dpfip/tests/dpfip.at
SYSTEM_USERSPACE_TESTSUITE_AT += dpfip/tests/system-dpfip.at
SYSTEM_USERSPACE_TESTSUITE_AT += dpfip/tests/system-dpfip-route.at
SYSTEM_DPDK_TESTSUITE_AT += dpfip/tests/system-dpfip-dpdk.at
MAN_FRAGMENTS += dpfip/ofproto-dpfip/dpfip-unixctl.man

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
