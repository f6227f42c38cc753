# dpfip sources in Open vSwitch's build.  Included by OVS's Makefile.am
# (vswitchd-patches/0001); paths are relative to the OVS tree, where
# dpfip/ links back into the dpfip source checkout.

lib_libopenvswitch_la_SOURCES += \
	dpfip/lib/dpfip-offload-provider.h \
	dpfip/lib/dpfip-offload-rte-flow.c \
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
	dpfip/ofproto-dpfip/dpfip-unixctl.c \
	dpfip/ofproto-dpfip/dpfip-xlate.c

TESTSUITE_AT += dpfip/tests/dpfip.at
SYSTEM_USERSPACE_TESTSUITE_AT += dpfip/tests/system-dpfip.at
SYSTEM_DPDK_TESTSUITE_AT += dpfip/tests/system-dpfip-dpdk.at
MAN_FRAGMENTS += dpfip/ofproto-dpfip/dpfip-unixctl.man
