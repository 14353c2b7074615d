/*
 * test_decode: the packet decoder, from raw bytes.
 *
 * Every packet below was built byte by byte and read back with tshark,
 * checksums included, so the expected values are what Wireshark reads. Each test
 * decodes a copy in a buffer of exactly caplen bytes, so that AddressSanitizer
 * catches any read past the capture. The robustness tests truncate every
 * packet at every length and mutate bytes at random (fixed seed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "mamori/decode.h"

/* ---- packets (hex, as on the wire) ---- */

static const char pkt_tcp_syn[] =
	"02000000 00020200 00000001 08004500 003c1234 00004006 9cd5c0a8 010a0a00"
	"00019c40 00501122 33440000 0000a002 faf09c5f 00000204 05b40402 080a0102"
	"03040000 00000103 0307";

static const char pkt_tcp_sack[] =
	"02000000 00020200 00000001 08004500 004d1234 00004006 9cc40a00 0001c0a8"
	"010a0050 9c405566 77881122 3345d010 01f53a0f 00000101 080a0000 00090000"
	"00080101 05120000 03e80000 07d00000 0bb80000 0fa06865 6c6c6f";

static const char pkt_udp[] =
	"02000000 00020200 00000001 08004500 00281234 00004011 9cdec0a8 010a0a00"
	"000114e9 00350014 0bc01234 01000001 00000000 0000";

static const char pkt_icmp_echo[] =
	"02000000 00020200 00000001 08004500 00241234 00004001 9cf2c0a8 010a0a00"
	"00010800 542f1234 00076162 63646566 6768";

static const char pkt_icmp_err[] =
	"02000000 00020200 00000001 08004500 00381234 00004001 9cdec0a8 010a0a00"
	"00010303 e7d20000 00004500 00201234 00004011 9ce60a00 0001c0a8 010a14e9"
	"0035000c 0000";

static const char pkt_v6_hbh[] =
	"02000000 00020200 00000001 86dd6001 23450018 00402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021100 01040000 000003e8"
	"07d00010 e0376970 76366461 7461";

static const char pkt_v6_rt[] =
	"02000000 00020200 00000001 86dd6001 23450028 2b402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021102 00000000 00002001"
	"0db80000 00000000 00000000 009903e8 07d00010 e0376970 76366461 7461";

static const char pkt_v6_do[] =
	"02000000 00020200 00000001 86dd6001 23450020 3c402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021101 010c0000 00000000"
	"00000000 000003e8 07d00010 e0376970 76366461 7461";

static const char pkt_v6_ah[] =
	"02000000 00020200 00000001 86dd6001 23450028 33402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021104 00000000 01000000"
	"00010000 00000000 00000000 000003e8 07d00010 e0376970 76366461 7461";

static const char pkt_v6_chain[] =
	"02000000 00020200 00000001 86dd6001 23450044 00402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00022b00 01040000 00003c00"
	"00000000 00003300 01040000 00000604 00000000 01000000 00010000 00000000"
	"00000000 000001bb c3500000 00010000 00025012 ffff8f4f 0000";

static const char pkt_v6_frag1[] =
	"02000000 00020200 00000001 86dd6001 23450020 2c402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021100 0001abcd ef0103e8"
	"07d00028 a7700001 02030405 06070809 0a0b0c0d 0e0f";

static const char pkt_v6_frag2[] =
	"02000000 00020200 00000001 86dd6001 23450018 2c402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00021100 0018abcd ef011011"
	"12131415 16171819 1a1b1c1d 1e1f";

static const char pkt_v4_frag1[] =
	"02000000 00020200 00000001 08004500 002c4321 20004011 4bedc0a8 010a0a00"
	"000103e8 07d00028 37320001 02030405 06070809 0a0b0c0d 0e0f";

static const char pkt_v4_frag2[] =
	"02000000 00020200 00000001 08004500 00244321 00034011 6bf2c0a8 010a0a00"
	"00011011 12131415 16171819 1a1b1c1d 1e1f";

static const char pkt_vlan[] =
	"02000000 00020200 00000001 81002064 08004500 00281234 00004006 9ce9c0a8"
	"010a0a00 00019c40 00500000 00010000 00005002 ffff479e 0000";

static const char pkt_qinq[] =
	"02000000 00020200 00000001 88a800c8 81000064 08004500 00281234 00004006"
	"9ce9c0a8 010a0a00 00019c40 00500000 00010000 00005002 ffff479e 0000";

static const char pkt_qinq9100[] =
	"02000000 00020200 00000001 910000c8 81000064 08004500 00281234 00004006"
	"9ce9c0a8 010a0a00 00019c40 00500000 00010000 00005002 ffff479e 0000";

static const char pkt_mpls[] =
	"02000000 00020200 00000001 88470006 4040000c 81404500 00281234 00004006"
	"9ce9c0a8 010a0a00 00019c40 00500000 00010000 00005002 ffff479e 0000";

static const char pkt_gre[] =
	"02000000 00020200 00000001 08004500 004f1234 0000402f 13e2c633 6401c633"
	"6402b000 0800a00f 00000000 002a0000 00074500 002b1234 00004006 1076ac10"
	"0001ac10 00020457 00160000 00050000 00065018 ffff77ba 00007373 68";

static const char pkt_gre_teb[] =
	"02000000 00020200 00000001 08004500 00511234 0000402f 13e0c633 6401c633"
	"64020000 65580200 00000002 02000000 00010800 4500002b 12340000 40061076"
	"ac100001 ac100002 04570016 00000005 00000006 5018ffff 77ba0000 737368";

static const char pkt_erspan2[] =
	"02000000 00020200 00000001 08004500 005d1234 0000402f 13d4c633 6401c633"
	"64021000 88be0000 0063100a 00050000 00000200 00000002 02000000 00010800"
	"4500002b 12340000 40061076 ac100001 ac100002 04570016 00000005 00000006"
	"5018ffff 77ba0000 737368";

static const char pkt_vxlan[] =
	"02000000 00020200 00000001 08004500 005d1234 00004011 13f2c633 6401c633"
	"6402d431 12b50049 00000800 00000004 d2000200 00000002 02000000 00010800"
	"4500002b 12340000 40061076 ac100001 ac100002 04570016 00000005 00000006"
	"5018ffff 77ba0000 737368";

static const char pkt_4in4[] =
	"02000000 00020200 00000001 08004500 003f1234 00004004 141dc633 6401c633"
	"64024500 002b1234 00004006 1076ac10 0001ac10 00020457 00160000 00050000"
	"00065018 ffff77ba 00007373 68";

static const char pkt_6in4[] =
	"02000000 00020200 00000001 08004500 00501234 00004029 13e7c633 6401c633"
	"64026001 23450014 06402001 0db80001 00000000 00000000 00012001 0db80001"
	"00000000 00000000 00020457 00160000 00050000 00065018 ffff4fde 0000";

static const char pkt_6in6[] =
	"02000000 00020200 00000001 86dd6001 2345003c 29402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00026001 23450014 06402001"
	"0db80001 00000000 00000000 00012001 0db80001 00000000 00000000 00020457"
	"00160000 00050000 00065018 ffff4fde 0000";

static const char pkt_icmp6_echo[] =
	"02000000 00020200 00000001 86dd6001 2345000c 3a402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00028000 44f90077 00037069"
	"6e67";

static const char pkt_icmp6_err[] =
	"02000000 00020200 00000001 86dd6001 23450038 3a402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00020104 a7400000 00006001"
	"23450010 11402001 0db80000 00000000 00000000 00022001 0db80000 00000000"
	"00000000 000103e8 07d00010 0000";

static const char raw_v4[] =
	"45000028 12340000 40119cde c0a8010a 0a000001 14e90035 00140bc0 12340100"
	"00010000 00000000";

static const char raw_v6[] =
	"60012345 00101140 20010db8 00000000 00000000 00000001 20010db8 00000000"
	"00000000 00000002 03e807d0 0010e037 69707636 64617461";

static const char pkt_sll[] =
	"00000001 00060200 00000001 00000800 45000028 12340000 40119cde c0a8010a"
	"0a000001 14e90035 00140bc0 12340100 00010000 00000000";

static const char pkt_sll2[] =
	"86dd0000 00000002 00010406 02000000 00010000 60012345 00101140 20010db8"
	"00000000 00000000 00000001 20010db8 00000000 00000000 00000002 03e807d0"
	"0010e037 69707636 64617461";

static const char pkt_ipopt_ok[] =
	"02000000 00020200 00000001 08004700 00281234 00004011 04d9c0a8 010a0a00"
	"00019404 00000101 010014e9 0035000c 00006162 6364";

static const char pkt_ipopt_bad[] =
	"02000000 00020200 00000001 08004600 00241234 00004011 94e1c0a8 010a0a00"
	"00010701 000014e9 0035000c 00006162 6364";

static const char pkt_ipopt_overrun[] =
	"02000000 00020200 00000001 08004600 00241234 00004011 8e99c0a8 010a0a00"
	"00010144 0c0514e9 0035000c 00006162 6364";

static const char pkt_v6_hbh_notfirst[] =
	"02000000 00020200 00000001 86dd6001 23450020 3c402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00020000 01040000 00001100"
	"01040000 000003e8 07d00010 e0376970 76366461 7461";

static const char pkt_v6_dup_fh[] =
	"02000000 00020200 00000001 86dd6001 23450020 2c402001 0db80000 00000000"
	"00000000 00012001 0db80000 00000000 00000000 00022c00 00000000 00011100"
	"00010000 000203e8 07d00010 e0376970 76366461 7461";

static const char pkt_arp[] =
	"02000000 00020200 00000001 08060001 08000604 00010200 00000001 c0a8010a"
	"00000000 00000a00 0001";

static const char pkt_pptp[] =
	"02000000 00020200 00000001 08004500 00441234 0000402f 13edc633 6401c633"
	"64023001 880b0024 00550000 0011ff03 00214500 00201234 00004011 54870a08"
	"00010a08 00020001 0002000c 00007070 7470";

static const char pkt_erspan3[] =
	"02000000 00020200 00000001 08004500 00691234 0000402f 13c8c633 6401c633"
	"64021000 22eb0000 0063200a 00050102 03040000 00010000 00000000 00000200"
	"00000002 02000000 00010800 4500002b 12340000 40061076 ac100001 ac100002"
	"04570016 00000005 00000006 5018ffff 77ba0000 737368";

static const char pkt_mpls_pw[] =
	"02000000 00020200 00000001 88470012 c1400000 00000200 00000002 02000000"
	"00010800 4500002b 12340000 40061076 ac100001 ac100002 04570016 00000005"
	"00000006 5018ffff 77ba0000 737368";

static const char pkt_vxlan_udp[] =
	"02000000 00020200 00000001 08004500 005a1234 00004011 13f5c633 6401c633"
	"6402d431 12b50046 00000800 00000004 d2000200 00000002 02000000 00010800"
	"45000028 12340000 4011106e ac100001 ac100002 14e90035 00147f4f 12340100"
	"00010000 00000000";

static const char pkt_vxlan_icmp[] =
	"02000000 00020200 00000001 08004500 00561234 00004011 13f9c633 6401c633"
	"6402d431 12b50042 00000800 00000004 d2000200 00000002 02000000 00010800"
	"45000024 12340000 40011082 ac100001 ac100002 0800161c 00010001 78787878"
	"78787878";

static const char pkt_gtpu[] =
	"02000000 00020200 00000001 08004500 00571234 00004011 13f8c633 6401c633"
	"64020868 08680043 000036ff 003300ab cdef1234 00850110 05004500 002b1234"
	"00004006 1076ac10 0001ac10 00020457 00160000 00050000 00065018 ffff77ba"
	"00007373 68";

static const char pkt_teredo[] =
	"02000000 00020200 00000001 08004500 005a1234 00004011 13f5c633 6401c633"
	"64020dd8 9c400046 00000000 1234cb00 71096001 2345000e 3a402001 0db80000"
	"00000000 00000000 00012001 0db80000 00000000 00000000 00028000 d8f50009"
	"00097465 7265646f";

static const char pkt_teredo_udp[] =
	"02000000 00020200 00000001 08004500 00541234 00004011 13fbc633 6401c633"
	"64029c40 0dd80040 00006001 23450010 11402001 0db80000 00000000 00000000"
	"00012001 0db80000 00000000 00000000 000203e8 07d00010 e0376970 76366461"
	"7461";

static const char pkt_capwap[] =
	"02000000 00020200 00000001 08004500 00771234 00004011 13d8c633 6401c633"
	"6402a130 147f0063 00000020 03200000 000004bf 23000000 00000108 2c008480"
	"2d2b4590 54f201e1 b29910f3 11eaeec1 1000aaaa 03000000 08004500 002b1234"
	"00004006 1076ac10 0001ac10 00020457 00160000 00050000 00065018 ffff77ba"
	"00007373 68";

static const char pkt_capwap_eth[] =
	"02000000 00020200 00000001 08004500 005d1234 00004011 13f2c633 6401c633"
	"6402a130 147f0049 00000010 02000000 00000200 00000002 02000000 00010800"
	"4500002b 12340000 40061076 ac100001 ac100002 04570016 00000005 00000006"
	"5018ffff 77ba0000 737368";

static const char pkt_pppoe[] =
	"02000000 00020200 00000001 88641100 00420024 00214500 00221234 00004011"
	"a0146440 00016440 00021b58 0035000e 00007070 706f6521";

static const char pkt_fabricpath[] =
	"02000000 00020200 00000001 89034020 02000000 00020200 00000001 81000007"
	"08004500 00281234 00004006 9ce9c0a8 010a0a00 00019c40 00500000 00010000"
	"00005002 ffff479e 0000";


/* ---- helpers ---- */

static struct decode_config cfg;
static struct decode_stats st;
static struct packet pkt;
static uint8_t *cur;           /* exactly caplen bytes, for ASan */
static uint8_t raw[4096];      /* scratch for building variants */

static void reset(void)
{
	decode_config_default(&cfg);
	memset(&st, 0, sizeof(st));
}

static int decode_buf(int linktype, const uint8_t *b, size_t n)
{
	free(cur);
	cur = malloc(n ? n : 1);
	CU_ASSERT_FATAL(cur != NULL);
	if (n)
		memcpy(cur, b, n);
	/* garbage in every field: decode_packet must reset what it sets */
	memset(&pkt, 0xa5, sizeof(pkt));
	pkt.data = cur;
	pkt.caplen = (uint32_t)n;
	pkt.wirelen = (uint32_t)n;
	pkt.ts_us = 1;
	pkt.linktype = (uint16_t)linktype;
	return decode_packet(&cfg, &pkt, &st);
}

static size_t load(const char *hex, uint8_t *b)
{
	int n = test_hex(hex, b, sizeof(raw));

	CU_ASSERT_FATAL(n > 0);
	return (size_t)n;
}

static int decode_hex(int linktype, const char *hex)
{
	size_t n = load(hex, raw);

	return decode_buf(linktype, raw, n);
}

static int decode_eth(const char *hex)
{
	return decode_hex(LINKTYPE_ETHERNET, hex);
}

static bool has_event(enum decode_event ev)
{
	for (unsigned i = 0; i < pkt.nevents && i < sizeof(pkt.events); i++)
		if (pkt.events[i] == ev)
			return true;
	return false;
}

static const char *addr(int ver, const union ip_addr *a)
{
	static char bufs[4][64];
	static int i;

	i = (i + 1) % 4;
	return ip_addr_str(ver, a, bufs[i], sizeof(bufs[i]));
}

#define SRC() addr(pkt.ip_ver, &pkt.src)
#define DST() addr(pkt.ip_ver, &pkt.dst)

/* ---- Ethernet, IPv4, TCP, UDP, ICMP ---- */

static void test_tcp_syn_options(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_tcp_syn), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_TCP);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.ip_ver, 4);
	CU_ASSERT_EQUAL(pkt.l3_off, 14);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_off, 74);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);
	CU_ASSERT_STRING_EQUAL(SRC(), "192.168.1.10");
	CU_ASSERT_STRING_EQUAL(DST(), "10.0.0.1");
	CU_ASSERT_EQUAL(pkt.src.w[1] | pkt.src.w[2] | pkt.src.w[3], 0);
	CU_ASSERT_EQUAL(pkt.dst.w[1] | pkt.dst.w[2] | pkt.dst.w[3], 0);
	CU_ASSERT_EQUAL(pkt.proto, 6);
	CU_ASSERT_EQUAL(pkt.ttl, 64);
	CU_ASSERT_EQUAL(pkt.ip_id, 0x1234);
	CU_ASSERT_EQUAL(pkt.ip_len, 60);
	CU_ASSERT_EQUAL(pkt.sport, 40000);
	CU_ASSERT_EQUAL(pkt.dport, 80);
	CU_ASSERT_EQUAL(pkt.tcp_seq, 0x11223344);
	CU_ASSERT_EQUAL(pkt.tcp_ack, 0);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_SYN);
	CU_ASSERT_EQUAL(pkt.tcp_win, 64240);
	CU_ASSERT(pkt.tcp_opt.has_mss);
	CU_ASSERT_EQUAL(pkt.tcp_opt.mss, 1460);
	CU_ASSERT(pkt.tcp_opt.has_sackok);
	CU_ASSERT(pkt.tcp_opt.has_ts);
	CU_ASSERT_EQUAL(pkt.tcp_opt.ts_val, 0x01020304);
	CU_ASSERT_EQUAL(pkt.tcp_opt.ts_ecr, 0);
	CU_ASSERT(pkt.tcp_opt.has_wscale);
	CU_ASSERT_EQUAL(pkt.tcp_opt.wscale, 7);
	CU_ASSERT(!pkt.tcp_opt.has_sack);
	CU_ASSERT_EQUAL(pkt.vlan_count, 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 0);
	CU_ASSERT_EQUAL(pkt.hash, 0);
	CU_ASSERT_EQUAL(pkt.layers, 2);
	CU_ASSERT_EQUAL(st.pkts, 1);
	CU_ASSERT_EQUAL(st.bytes, 74);
	CU_ASSERT_EQUAL(st.max_pkt_size, 74);
	CU_ASSERT_EQUAL(st.ethernet, 1);
	CU_ASSERT_EQUAL(st.ipv4, 1);
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_tcp_sack(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_tcp_sack), 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_STRING_EQUAL(SRC(), "10.0.0.1");
	CU_ASSERT_EQUAL(pkt.sport, 80);
	CU_ASSERT_EQUAL(pkt.dport, 40000);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_ACK);
	CU_ASSERT_EQUAL(pkt.tcp_seq, 0x55667788);
	CU_ASSERT_EQUAL(pkt.tcp_ack, 0x11223345);
	CU_ASSERT_EQUAL(pkt.tcp_win, 501);
	CU_ASSERT(pkt.tcp_opt.has_sack);
	CU_ASSERT_EQUAL(pkt.tcp_opt.sack_blocks, 2);
	CU_ASSERT(pkt.tcp_opt.has_ts);
	CU_ASSERT_EQUAL(pkt.tcp_opt.ts_val, 9);
	CU_ASSERT_EQUAL(pkt.tcp_opt.ts_ecr, 8);
	CU_ASSERT(!pkt.tcp_opt.has_mss);
	CU_ASSERT_EQUAL(pkt.payload_off, 14 + 20 + 52);
	CU_ASSERT_EQUAL(pkt.payload_len, 5);
	CU_ASSERT_EQUAL(memcmp(pkt.data + pkt.payload_off, "hello", 5), 0);
}

static void test_tcp_bad_options(void)
{
	size_t n;

	/* MSS with length 3: an event, the segment is still good */
	reset();
	n = load(pkt_tcp_syn, raw);
	raw[55] = 3;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_TCP_OPT_INVALID_LEN));
	CU_ASSERT(!pkt.tcp_opt.has_mss);
	CU_ASSERT(!(pkt.flags & PKT_INVALID));
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL(st.events[DECODE_EV_TCP_OPT_INVALID_LEN], 1);

	/* timestamp option running past the header */
	n = load(pkt_tcp_syn, raw);
	raw[61] = 40;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_TCP_OPT_INVALID_LEN));
	CU_ASSERT(pkt.tcp_opt.has_mss);     /* parsed before the bad one */
	CU_ASSERT(!pkt.tcp_opt.has_ts);

	/* option length 0 (SACK-permitted's) */
	n = load(pkt_tcp_syn, raw);
	raw[59] = 0;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_TCP_OPT_INVALID_LEN));

	/* data offset 4 (16 bytes): invalid, but tshark counts it as TCP */
	reset();
	n = load(pkt_tcp_syn, raw);
	raw[46] = 0x40;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_TCP_HLEN_TOO_SMALL));
	CU_ASSERT(pkt.flags & PKT_INVALID);
	CU_ASSERT(!(pkt.flags & PKT_TCP));
	CU_ASSERT_EQUAL(pkt.sport, 40000);
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(st.invalid, 1);

	/* data offset 15 (60 bytes) in a 40-byte segment */
	n = load(pkt_tcp_syn, raw);
	raw[46] = 0xf0;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_TCP_INVALID_OPTLEN));
	CU_ASSERT_EQUAL(st.tcp, 2);
	CU_ASSERT_EQUAL(st.invalid, 2);
}

/* tshark counts a frame as TCP/UDP once the 4 bytes of ports are there */
static void test_l4_counting_threshold(void)
{
	size_t n = load(pkt_tcp_syn, raw);

	reset();
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 3), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_TRUNC_PKT));
	CU_ASSERT(has_event(DECODE_EV_TCP_PKT_TOO_SMALL));
	CU_ASSERT(pkt.flags & PKT_TRUNCATED);
	CU_ASSERT_EQUAL(st.tcp, 0);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 4), -EINVAL);
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(pkt.sport, 40000);
	CU_ASSERT_EQUAL(pkt.dport, 80);
	CU_ASSERT_EQUAL(st.invalid, 2);
	/* whole fixed header, options cut by the snap length: the flags and
	 * sequence numbers are good (a flow must see its handshake at
	 * snaplen 64), so the packet is truncated, not invalid */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 24), 0);
	CU_ASSERT(!has_event(DECODE_EV_TCP_INVALID_OPTLEN));
	CU_ASSERT(pkt.flags & PKT_TCP);
	CU_ASSERT(pkt.flags & PKT_TRUNCATED);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_SYN);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);
	CU_ASSERT_EQUAL(st.tcp, 2);
	CU_ASSERT_EQUAL(st.invalid, 2);
	(void)n;

	n = load(pkt_udp, raw);
	reset();
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 3), -EINVAL);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 4), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_UDP_PKT_TOO_SMALL));
	CU_ASSERT_EQUAL(st.udp, 1);
	/* header whole, payload cut: valid but truncated */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 10), 0);
	CU_ASSERT_EQUAL(pkt.flags & (PKT_TRUNCATED | PKT_INVALID | PKT_UDP),
			PKT_TRUNCATED | PKT_UDP);
	CU_ASSERT_EQUAL(pkt.payload_len, 2);
	CU_ASSERT(!has_event(DECODE_EV_UDP_HLEN_INVALID));
	CU_ASSERT_EQUAL(st.udp, 2);
	CU_ASSERT_EQUAL(st.invalid, 2);
	(void)n;
}

static void test_udp(void)
{
	size_t n;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_udp), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
	CU_ASSERT_EQUAL(pkt.proto, 17);
	CU_ASSERT_EQUAL(pkt.sport, 5353);
	CU_ASSERT_EQUAL(pkt.dport, 53);
	CU_ASSERT_EQUAL(pkt.l4_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_off, 42);
	CU_ASSERT_EQUAL(pkt.payload_len, 12);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.tcp, 0);

	/* Ethernet padding after the IP datagram is not payload */
	reset();
	n = load(pkt_udp, raw);
	memset(raw + n, 0xee, 6);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n + 6), 0);
	CU_ASSERT_EQUAL(pkt.payload_len, 12);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT(!(pkt.flags & PKT_TRUNCATED));

	/* UDP length larger than the IP payload: event, decoded anyway */
	n = load(pkt_udp, raw);
	raw[39] = 0x40;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_UDP_HLEN_INVALID));
	CU_ASSERT_EQUAL(pkt.payload_len, 12);
	/* smaller: the payload ends where UDP says */
	raw[39] = 0x0c;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_UDP_HLEN_INVALID));
	CU_ASSERT_EQUAL(pkt.payload_len, 4);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_ipv4_options(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_ipopt_ok), 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.l4_off, 14 + 28);
	CU_ASSERT_EQUAL(pkt.sport, 5353);

	CU_ASSERT_EQUAL(decode_eth(pkt_ipopt_bad), 0);
	CU_ASSERT(has_event(DECODE_EV_IPV4_OPT_INVALID));
	CU_ASSERT_EQUAL(pkt.sport, 5353);

	CU_ASSERT_EQUAL(decode_eth(pkt_ipopt_overrun), 0);
	CU_ASSERT(has_event(DECODE_EV_IPV4_OPT_MALFORMED));
	CU_ASSERT_EQUAL(pkt.dport, 53);
	CU_ASSERT_EQUAL(st.udp, 3);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_ipv4_bad_headers(void)
{
	size_t n;

	reset();
	n = load(pkt_tcp_syn, raw);
	raw[14] = 0x44;   /* IHL 4 */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_HLEN_TOO_SMALL));
	CU_ASSERT_EQUAL(st.tcp, 0);

	n = load(pkt_tcp_syn, raw);
	raw[14] = 0x65;   /* version 6 in an IPv4 ethertype */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_WRONG_IP_VER));

	n = load(pkt_tcp_syn, raw);
	raw[16] = 0;
	raw[17] = 10;     /* total length 10 < 20 */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_IPLEN_SMALLER_THAN_HLEN));

	/* total length 0: a TSO capture; the captured length is used */
	n = load(pkt_tcp_syn, raw);
	raw[16] = raw[17] = 0;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT_EQUAL(pkt.tcp_opt.mss, 1460);
	CU_ASSERT_EQUAL(pkt.nevents, 0);

	n = load(pkt_tcp_syn, raw);
	raw[14] = 0x4f;   /* 60-byte header, 40 present before the cut */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 14 + 40), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_PKT_TOO_SMALL));
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(st.invalid, 4);
	CU_ASSERT_EQUAL(st.ipv4, 5);
}

static void test_icmp_echo(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_icmp_echo), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_ICMPV4);
	CU_ASSERT_EQUAL(pkt.proto, 1);
	CU_ASSERT_EQUAL(pkt.icmp_type, 8);
	CU_ASSERT_EQUAL(pkt.icmp_code, 0);
	CU_ASSERT_EQUAL(pkt.icmp_id, 0x1234);
	CU_ASSERT_EQUAL(pkt.icmp_seq, 7);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.dport, 0);
	CU_ASSERT_EQUAL(pkt.payload_len, 8);
	CU_ASSERT_EQUAL(st.icmpv4, 1);
	CU_ASSERT_EQUAL(st.tcp + st.udp, 0);
}

static void test_icmp_error_inner(void)
{
	size_t n;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_icmp_err), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_ICMPV4 | PKT_HAS_ICMP_INNER);
	CU_ASSERT_EQUAL(pkt.icmp_type, 3);
	CU_ASSERT_EQUAL(pkt.icmp_code, 3);
	CU_ASSERT_EQUAL(pkt.inner_ip_ver, 4);
	CU_ASSERT_EQUAL(pkt.inner_proto, 17);
	CU_ASSERT_STRING_EQUAL(addr(4, &pkt.inner_src), "10.0.0.1");
	CU_ASSERT_STRING_EQUAL(addr(4, &pkt.inner_dst), "192.168.1.10");
	CU_ASSERT_EQUAL(pkt.inner_sport, 5353);
	CU_ASSERT_EQUAL(pkt.inner_dport, 53);
	/* the outer packet is what the fields describe */
	CU_ASSERT_STRING_EQUAL(SRC(), "192.168.1.10");
	CU_ASSERT_EQUAL(pkt.proto, 1);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	/* the quote is not traffic */
	CU_ASSERT_EQUAL(st.ipv4, 1);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(st.icmpv4, 1);

	/* a quote cut inside its IP header: an event, not an invalid packet */
	n = load(pkt_icmp_err, raw);
	raw[17] = 0x24;   /* IP total length: 16 bytes of the quote left */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(has_event(DECODE_EV_ICMPV4_IPV4_TRUNC_PKT));
	CU_ASSERT(!(pkt.flags & PKT_HAS_ICMP_INNER));
	CU_ASSERT_EQUAL(st.invalid, 0);
}

/* ---- IPv6 ---- */

static void check_v6_udp(const char *hex, uint16_t l4_off)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(hex), 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_UDP);
	CU_ASSERT_EQUAL(pkt.ip_ver, 6);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8::1");
	CU_ASSERT_STRING_EQUAL(DST(), "2001:db8::2");
	CU_ASSERT_EQUAL(pkt.proto, 17);
	CU_ASSERT_EQUAL(pkt.ttl, 64);
	CU_ASSERT_EQUAL(pkt.ipv6_flow, 0x12345);
	CU_ASSERT_EQUAL(pkt.l4_off, l4_off);
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(pkt.dport, 2000);
	CU_ASSERT_EQUAL(pkt.payload_len, 8);
	CU_ASSERT_EQUAL(memcmp(pkt.data + pkt.payload_off, "ipv6data", 8), 0);
	CU_ASSERT_EQUAL(st.ipv6, 1);
	CU_ASSERT_EQUAL(st.udp, 1);
}

static void test_ipv6_exthdrs(void)
{
	check_v6_udp(pkt_v6_hbh, 14 + 40 + 8);
	check_v6_udp(pkt_v6_rt, 14 + 40 + 24);
	check_v6_udp(pkt_v6_do, 14 + 40 + 16);
	check_v6_udp(pkt_v6_ah, 14 + 40 + 24);

	/* hop-by-hop, routing, destination options, AH, TCP */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_v6_chain), 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.proto, 6);
	CU_ASSERT_EQUAL(pkt.l4_off, 14 + 40 + 8 + 8 + 8 + 24);
	CU_ASSERT_EQUAL(pkt.sport, 443);
	CU_ASSERT_EQUAL(pkt.dport, 50000);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_SYN | TCP_ACK);
	CU_ASSERT_EQUAL(st.tcp, 1);

	/* hop-by-hop after destination options: reported, decoded */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_v6_hbh_notfirst), 0);
	CU_ASSERT(has_event(DECODE_EV_IPV6_HOPOPTS_NOT_FIRST));
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_ipv6_bad(void)
{
	size_t n;

	/* an extension header longer than the packet */
	reset();
	n = load(pkt_v6_hbh, raw);
	raw[55] = 20;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV6_TRUNC_EXTHDR));
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(st.invalid, 1);

	/* a chain of 9 destination options headers */
	memset(raw, 0, sizeof(raw));
	n = load(pkt_v6_do, raw);
	n = 14 + 40;
	raw[20] = 0x00;
	raw[21] = 9 * 8;
	raw[20 - 0] = 0;
	raw[54 - 34] = 0;
	raw[14 + 6] = 60;
	for (int i = 0; i < 9; i++) {
		raw[n] = 60;
		raw[n + 1] = 0;
		memset(raw + n + 2, 0, 6);
		n += 8;
	}
	raw[14 + 4] = 0;
	raw[14 + 5] = 9 * 8;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV6_TOO_MANY_EXTHDRS));

	/* payload length 0 (no jumbogram support): no L4 */
	reset();
	n = load(pkt_v6_hbh, raw);
	raw[18] = raw[19] = 0;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV6_TRUNC_EXTHDR));
	CU_ASSERT_EQUAL(st.udp, 0);

	/* version 4 in an IPv6 ethertype */
	n = load(pkt_v6_hbh, raw);
	raw[14] = 0x45;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV6_WRONG_IP_VER));
}

static void test_ipv6_fragments(void)
{
	uint32_t h1, h2;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_v6_frag1), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_UDP | PKT_FRAGMENT | PKT_FRAG_FIRST);
	CU_ASSERT_EQUAL(pkt.frag_off, 0);
	CU_ASSERT_EQUAL(pkt.frag_mf, 1);
	CU_ASSERT_EQUAL(pkt.ipv6_flow, 0xabcdef01);
	CU_ASSERT_EQUAL(pkt.proto, 17);
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(pkt.dport, 2000);
	CU_ASSERT(!has_event(DECODE_EV_UDP_HLEN_INVALID));
	CU_ASSERT_EQUAL(st.ipv6_frag, 1);
	CU_ASSERT_EQUAL(st.udp, 1);
	h1 = packet_flow_hash(&pkt);

	CU_ASSERT_EQUAL(decode_eth(pkt_v6_frag2), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_FRAGMENT);
	CU_ASSERT_EQUAL(pkt.frag_off, 24);
	CU_ASSERT_EQUAL(pkt.frag_mf, 0);
	CU_ASSERT_EQUAL(pkt.proto, 17);
	CU_ASSERT_EQUAL(pkt.l4_off, 0);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.payload_off, 14 + 40 + 8);
	CU_ASSERT_EQUAL(pkt.payload_len, 16);
	CU_ASSERT_EQUAL(st.ipv6_frag, 2);
	CU_ASSERT_EQUAL(st.udp, 1);      /* no L4 in a later fragment */
	h2 = packet_flow_hash(&pkt);
	CU_ASSERT_EQUAL(h1, h2);

	/* two fragment headers */
	CU_ASSERT_EQUAL(decode_eth(pkt_v6_dup_fh), 0);
	CU_ASSERT(has_event(DECODE_EV_IPV6_EXTHDR_DUPL_FH));
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_ipv4_fragments(void)
{
	uint32_t h1, h2;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_v4_frag1), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP | PKT_FRAGMENT | PKT_FRAG_FIRST);
	CU_ASSERT_EQUAL(pkt.frag_off, 0);
	CU_ASSERT_EQUAL(pkt.frag_mf, 1);
	CU_ASSERT_EQUAL(pkt.ip_id, 0x4321);
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(pkt.payload_len, 16);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(st.ipv4_frag, 1);
	CU_ASSERT_EQUAL(st.udp, 1);
	h1 = packet_flow_hash(&pkt);

	CU_ASSERT_EQUAL(decode_eth(pkt_v4_frag2), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_FRAGMENT);
	CU_ASSERT_EQUAL(pkt.frag_off, 24);
	CU_ASSERT_EQUAL(pkt.frag_mf, 0);
	CU_ASSERT_EQUAL(pkt.proto, 17);
	CU_ASSERT_EQUAL(pkt.l4_off, 0);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.payload_off, 34);
	CU_ASSERT_EQUAL(pkt.payload_len, 16);
	CU_ASSERT_EQUAL(st.ipv4_frag, 2);
	CU_ASSERT_EQUAL(st.udp, 1);
	h2 = packet_flow_hash(&pkt);
	CU_ASSERT_EQUAL(h1, h2);
}

/* ---- VLAN, MPLS ---- */

static void check_inner_syn(void)
{
	CU_ASSERT_EQUAL(pkt.flags & (PKT_IPV4 | PKT_TCP), PKT_IPV4 | PKT_TCP);
	CU_ASSERT_STRING_EQUAL(SRC(), "192.168.1.10");
	CU_ASSERT_EQUAL(pkt.sport, 40000);
	CU_ASSERT_EQUAL(pkt.dport, 80);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_SYN);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(st.tcp, 1);
}

static void test_vlan(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_vlan), 0);
	check_inner_syn();
	CU_ASSERT_EQUAL(pkt.vlan_count, 1);
	CU_ASSERT_EQUAL(pkt.vlan[0], 100);
	CU_ASSERT_EQUAL(pkt.l3_off, 18);
	CU_ASSERT_EQUAL(st.vlan, 1);
	CU_ASSERT_EQUAL(st.vlan_qinq, 0);
}

static void test_qinq(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_qinq), 0);
	check_inner_syn();
	CU_ASSERT_EQUAL(pkt.vlan_count, 2);
	CU_ASSERT_EQUAL(pkt.vlan[0], 200);
	CU_ASSERT_EQUAL(pkt.vlan[1], 100);
	CU_ASSERT_EQUAL(pkt.l3_off, 22);
	CU_ASSERT_EQUAL(st.vlan, 1);
	CU_ASSERT_EQUAL(st.vlan_qinq, 1);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_qinq9100), 0);
	check_inner_syn();
	CU_ASSERT_EQUAL(pkt.vlan_count, 2);
	CU_ASSERT_EQUAL(pkt.vlan[0], 200);
	CU_ASSERT_EQUAL(st.vlan_qinq, 1);
}

static void test_vlan_limits(void)
{
	size_t n = 12;

	/* four tags */
	reset();
	memset(raw, 0x02, 12);
	for (int i = 0; i < 4; i++) {
		raw[n] = 0x81;
		raw[n + 1] = 0x00;
		raw[n + 2] = 0;
		raw[n + 3] = (uint8_t)(i + 1);
		n += 4;
	}
	raw[n] = 0x08;
	raw[n + 1] = 0x00;
	n += 2;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_VLAN_TOO_MANY_LAYERS));
	CU_ASSERT_EQUAL(pkt.vlan[0], 1);
	CU_ASSERT_EQUAL(pkt.vlan[1], 2);

	/* a tag cut short */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 16), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_VLAN_HEADER_TOO_SMALL));
	CU_ASSERT_EQUAL(st.invalid, 2);
}

static void test_mpls(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_mpls), 0);
	check_inner_syn();
	CU_ASSERT_EQUAL(pkt.mpls_count, 2);
	CU_ASSERT_EQUAL(pkt.l3_off, 22);
	CU_ASSERT_EQUAL(st.mpls, 1);

	/* pseudowire: control word, then an Ethernet frame */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_mpls_pw), 0);
	CU_ASSERT_EQUAL(pkt.mpls_count, 1);
	CU_ASSERT_EQUAL(st.ethernet, 2);
	CU_ASSERT_STRING_EQUAL(SRC(), "172.16.0.1");
	CU_ASSERT_EQUAL(pkt.dport, 22);
}

static void test_mpls_bad(void)
{
	size_t n;

	reset();
	n = load(pkt_mpls, raw);
	raw[22] = 0x75;   /* first payload nibble 7 */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EPROTONOSUPPORT);
	CU_ASSERT(has_event(DECODE_EV_MPLS_UNKNOWN_PAYLOAD));
	CU_ASSERT(!(pkt.flags & PKT_INVALID));

	/* no bottom of stack anywhere */
	n = 14;
	for (int i = 0; i < 20; i++, n += 4) {
		raw[n] = 0;
		raw[n + 1] = 0x10;
		raw[n + 2] = 0;
		raw[n + 3] = 64;
	}
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_MPLS_TOO_MANY_LABELS));
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 14 + 8), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_MPLS_HEADER_TOO_SMALL));
}

static void test_other_l3(void)
{
	size_t n;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_arp), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(pkt.flags, 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.ip_ver, 0);
	CU_ASSERT_EQUAL(st.other_l3, 1);
	CU_ASSERT_EQUAL(st.ethernet, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL(packet_flow_hash(&pkt), 0);

	n = load(pkt_arp, raw);
	raw[12] = 0x12;
	raw[13] = 0x34;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EPROTONOSUPPORT);
	CU_ASSERT(has_event(DECODE_EV_UNKNOWN_ETHERTYPE));
	CU_ASSERT_EQUAL(st.other_l3, 2);
	CU_ASSERT_EQUAL(st.invalid, 0);

	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 13), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_ETH_PKT_TOO_SMALL));
	CU_ASSERT_EQUAL(st.invalid, 1);
	CU_ASSERT_EQUAL(st.ethernet, 3);
}

/* ---- tunnels ---- */

static void check_inner_ssh(void)
{
	CU_ASSERT(pkt.flags & PKT_TUNNELED);
	CU_ASSERT(pkt.flags & PKT_TCP);
	CU_ASSERT(!(pkt.flags & PKT_UDP));
	CU_ASSERT_EQUAL(pkt.ip_ver, 4);
	CU_ASSERT_STRING_EQUAL(SRC(), "172.16.0.1");
	CU_ASSERT_STRING_EQUAL(DST(), "172.16.0.2");
	CU_ASSERT_EQUAL(pkt.proto, 6);
	CU_ASSERT_EQUAL(pkt.sport, 1111);
	CU_ASSERT_EQUAL(pkt.dport, 22);
	CU_ASSERT_EQUAL(pkt.tcp_flags, TCP_PSH | TCP_ACK);
	CU_ASSERT_EQUAL(pkt.payload_len, 3);
	CU_ASSERT_EQUAL(memcmp(pkt.data + pkt.payload_off, "ssh", 3), 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 1);
	CU_ASSERT_EQUAL(pkt.tunnel[0].ip_ver, 4);
	CU_ASSERT_EQUAL(pkt.tunnel[0].l3_off, 14);
	CU_ASSERT_STRING_EQUAL(addr(4, &pkt.tunnel[0].src), "198.51.100.1");
	CU_ASSERT_STRING_EQUAL(addr(4, &pkt.tunnel[0].dst), "198.51.100.2");
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(st.ipv4, 2);
	CU_ASSERT_EQUAL(st.tcp, 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
}

static void test_gre(void)
{
	reset();
	cfg.checksum_validate = true;
	CU_ASSERT_EQUAL(decode_eth(pkt_gre), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_GRE);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 16);
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_EQUAL(st.ethernet, 1);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_gre_teb), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_GRE);
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_EQUAL(st.ethernet, 2);

	/* GRE decoding off: the outer packet, GRE as an opaque protocol */
	reset();
	cfg.gre_enabled = false;
	CU_ASSERT_EQUAL(decode_eth(pkt_gre), 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 0);
	CU_ASSERT_EQUAL(pkt.proto, 47);
	CU_ASSERT_STRING_EQUAL(SRC(), "198.51.100.1");
	CU_ASSERT_EQUAL(st.gre, 0);
	CU_ASSERT_EQUAL(st.other_l4, 1);
	CU_ASSERT_EQUAL(st.tcp, 0);
}

static void test_gre_bad(void)
{
	size_t n;

	reset();
	n = load(pkt_gre, raw);
	raw[35] = 0x02;   /* version 2 */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_GRE_WRONG_VERSION));
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_EQUAL(st.tcp, 0);

	/* checksum + key + sequence need 16 bytes */
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 12), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_GRE_PKT_TOO_SMALL) ||
		  has_event(DECODE_EV_GRE_WRONG_VERSION));
	n = load(pkt_gre, raw);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 34 + 12), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_GRE_PKT_TOO_SMALL));
}

static void test_pptp(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_pptp), 0);
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_EQUAL(pkt.ntunnels, 1);
	CU_ASSERT_STRING_EQUAL(SRC(), "10.8.0.1");
	CU_ASSERT_EQUAL(pkt.sport, 1);
	CU_ASSERT_EQUAL(pkt.dport, 2);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.ipv4, 2);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
}

static void test_erspan(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_erspan2), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_ERSPAN);
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_EQUAL(st.erspan, 1);
	CU_ASSERT_EQUAL(st.ethernet, 2);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 8 + 14);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_erspan3), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_ERSPAN);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 20 + 14);
	CU_ASSERT_EQUAL(st.erspan, 1);

	/* cut inside the ERSPAN header */
	reset();
	load(pkt_erspan2, raw);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 14 + 20 + 8 + 6), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_ERSPAN_HEADER_TOO_SMALL));

	reset();
	cfg.erspan_enabled = false;
	CU_ASSERT_EQUAL(decode_eth(pkt_erspan2), 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 0);
	CU_ASSERT_EQUAL(st.erspan, 0);
	CU_ASSERT_EQUAL(st.gre, 1);
	CU_ASSERT_STRING_EQUAL(SRC(), "198.51.100.1");
}

static void test_vxlan(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_vxlan), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_VXLAN);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 8 + 14);
	CU_ASSERT_EQUAL(st.vxlan, 1);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.ethernet, 2);

	/* disabled, or another port: plain UDP */
	reset();
	cfg.vxlan_enabled = false;
	CU_ASSERT_EQUAL(decode_eth(pkt_vxlan), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
	CU_ASSERT_EQUAL(pkt.dport, 4789);
	CU_ASSERT_EQUAL(st.vxlan, 0);
	CU_ASSERT_EQUAL(st.tcp, 0);
	reset();
	cfg.vxlan_port = 8472;
	CU_ASSERT_EQUAL(decode_eth(pkt_vxlan), 0);
	CU_ASSERT_EQUAL(st.vxlan, 0);
	CU_ASSERT_EQUAL(st.ipv4, 1);

	/* an ARP frame inside: the packet stays the outer UDP one */
	reset();
	{
		size_t n = load(pkt_vxlan, raw);

		raw[62] = 0x08;
		raw[63] = 0x06;
		CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
		CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
		CU_ASSERT_EQUAL(pkt.ntunnels, 0);
		CU_ASSERT_STRING_EQUAL(SRC(), "198.51.100.1");
		CU_ASSERT_EQUAL(pkt.dport, 4789);
		CU_ASSERT_EQUAL(pkt.payload_off, 42);
		CU_ASSERT_EQUAL(st.vxlan, 1);
		CU_ASSERT_EQUAL(st.ethernet, 2);
		CU_ASSERT_EQUAL(st.other_l3, 1);
		CU_ASSERT_EQUAL(st.udp, 1);
	}

	/* the I flag missing: not VXLAN */
	reset();
	{
		size_t n = load(pkt_vxlan, raw);

		raw[42] = 0;
		CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
		CU_ASSERT_EQUAL(st.vxlan, 0);
		CU_ASSERT_EQUAL(pkt.dport, 4789);
	}
}

static void test_ipip(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_4in4), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_IPIP);
	CU_ASSERT_EQUAL(pkt.l3_off, 34);
	CU_ASSERT_EQUAL(st.ipv4_in_ipv6, 1);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_6in4), 0);
	CU_ASSERT_EQUAL(pkt.ip_ver, 6);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_TCP | PKT_TUNNELED);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8:1::1");
	CU_ASSERT_EQUAL(pkt.tunnel[0].ip_ver, 4);
	CU_ASSERT_EQUAL(pkt.dport, 22);
	CU_ASSERT_EQUAL(st.ipv4, 1);
	CU_ASSERT_EQUAL(st.ipv6, 1);
	CU_ASSERT_EQUAL(st.ipv4_in_ipv6, 1);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_6in6), 0);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8:1::1");
	CU_ASSERT_EQUAL(pkt.tunnel[0].ip_ver, 6);
	CU_ASSERT_STRING_EQUAL(addr(6, &pkt.tunnel[0].src), "2001:db8::1");
	CU_ASSERT_EQUAL(st.ipv6, 2);
	CU_ASSERT_EQUAL(st.ipv6_in_ipv6, 1);
	CU_ASSERT_EQUAL(st.tcp, 1);
}

/* IPv4 + GRE around a payload, n times */
static size_t wrap_gre(uint8_t *b, size_t len, int times)
{
	for (int i = 0; i < times; i++) {
		size_t tot = len + 24;

		memmove(b + 24, b, len);
		memset(b, 0, 24);
		b[0] = 0x45;
		b[2] = (uint8_t)(tot >> 8);
		b[3] = (uint8_t)tot;
		b[8] = 64;
		b[9] = 47;
		b[12] = 10;
		b[15] = (uint8_t)(i + 1);
		b[16] = 10;
		b[19] = 100;
		b[22] = 0x08;   /* GRE: no flags, IPv4 */
		len = tot;
	}
	return len;
}

static void test_nesting_limit(void)
{
	size_t n;

	/* 4 GRE tunnels: the limit */
	reset();
	n = load(raw_v4, raw);
	n = wrap_gre(raw, n, 4);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_RAW, raw, n), 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 4);
	CU_ASSERT_EQUAL(pkt.sport, 5353);
	CU_ASSERT_EQUAL(st.gre, 4);
	CU_ASSERT_EQUAL(st.ipv4, 5);
	CU_ASSERT_EQUAL(st.udp, 1);

	/* 5: one too many */
	n = load(raw_v4, raw);
	n = wrap_gre(raw, n, 5);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_RAW, raw, n), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_TOO_MANY_LAYERS));
	CU_ASSERT_EQUAL(pkt.ntunnels, 4);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.invalid, 1);

	/* decoder.max-layers: Ethernet, VLAN, IPv4 = 3 layers */
	reset();
	cfg.max_layers = 3;
	CU_ASSERT_EQUAL(decode_eth(pkt_vlan), 0);
	CU_ASSERT_EQUAL(pkt.layers, 3);
	cfg.max_layers = 2;
	CU_ASSERT_EQUAL(decode_eth(pkt_vlan), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_TOO_MANY_LAYERS));
	CU_ASSERT_EQUAL(st.tcp, 1);
}

/* ---- link types ---- */

static void check_raw_v4(void)
{
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
	CU_ASSERT_STRING_EQUAL(SRC(), "192.168.1.10");
	CU_ASSERT_EQUAL(pkt.sport, 5353);
	CU_ASSERT_EQUAL(pkt.dport, 53);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
}

static void check_raw_v6(void)
{
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_UDP);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8::1");
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(pkt.dport, 2000);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
}

static void test_sll(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_LINUX_SLL, pkt_sll), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(pkt.l3_off, 16);
	CU_ASSERT_EQUAL(st.sll, 1);
	load(pkt_sll, raw);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_LINUX_SLL, raw, 15), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_SLL_PKT_TOO_SMALL));

	reset();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_LINUX_SLL2, pkt_sll2), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(pkt.l3_off, 20);
	CU_ASSERT_EQUAL(st.sll, 1);
	load(pkt_sll2, raw);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_LINUX_SLL2, raw, 19), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_SLL_PKT_TOO_SMALL));
	CU_ASSERT_EQUAL(st.invalid, 1);
}

static void test_raw(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_RAW, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(pkt.l3_off, 0);
	CU_ASSERT_EQUAL(pkt.l4_off, 20);
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_RAW, raw_v6), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_DLT_RAW, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_IPV4, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_IPV6, raw_v6), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(st.raw, 5);
	CU_ASSERT_EQUAL(st.invalid, 0);

	/* the link type says IPv4, the packet is IPv6 */
	CU_ASSERT_EQUAL(decode_hex(LINKTYPE_IPV4, raw_v6), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPV4_WRONG_IP_VER));
	/* version 5 */
	load(raw_v4, raw);
	raw[0] = 0x55;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_RAW, raw, 28), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPRAW_INVALID_IPV));
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_RAW, raw, 0), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_IPRAW_INVALID_IPV));
	CU_ASSERT_EQUAL(st.invalid, 3);
}

static int decode_null(int linktype, const uint8_t fam[4], const char *ip)
{
	size_t n = load(ip, raw + 4);

	memcpy(raw, fam, 4);
	return decode_buf(linktype, raw, n + 4);
}

static void test_null_loop(void)
{
	static const uint8_t v4_le[4] = { 2, 0, 0, 0 }, v4_be[4] = { 0, 0, 0, 2 };
	static const uint8_t v6_24[4] = { 24, 0, 0, 0 }, v6_28[4] = { 0, 0, 0, 28 };
	static const uint8_t v6_30[4] = { 30, 0, 0, 0 }, ipx[4] = { 23, 0, 0, 0 };

	reset();
	/* BSD null is in the capturing host's byte order: either works */
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, v4_le, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(pkt.l3_off, 4);
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, v4_be, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, v6_24, raw_v6), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, v6_28, raw_v6), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, v6_30, raw_v6), 0);
	check_raw_v6();
	/* OpenBSD loop: network order */
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_LOOP, v4_be, raw_v4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_LOOP, v6_28, raw_v6), 0);
	check_raw_v6();
	CU_ASSERT_EQUAL(st.null, 7);
	CU_ASSERT_EQUAL(st.invalid, 0);

	CU_ASSERT_EQUAL(decode_null(LINKTYPE_LOOP, v4_le, raw_v4), -EPROTONOSUPPORT);
	CU_ASSERT(has_event(DECODE_EV_NULL_UNSUPPORTED_TYPE));
	CU_ASSERT_EQUAL(decode_null(LINKTYPE_NULL_BSD, ipx, raw_v4), -EPROTONOSUPPORT);
	CU_ASSERT(has_event(DECODE_EV_NULL_UNSUPPORTED_TYPE));
	CU_ASSERT_EQUAL(st.other_l3, 2);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_NULL_BSD, raw, 3), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_NULL_PKT_TOO_SMALL));

	CU_ASSERT_EQUAL(decode_hex(9999, raw_v4), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_UNSUPPORTED_LINKTYPE));
	CU_ASSERT_EQUAL(st.invalid, 2);
	CU_ASSERT_EQUAL(st.pkts, 11);
}

/* ---- frame-level tcp/udp counting, UDP tunnels, PPPoE, FabricPath ---- */

static void test_frame_counting(void)
{
	/* VXLAN carrying UDP: two UDP layers, one UDP frame (tshark) */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_vxlan_udp), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP | PKT_TUNNELED);
	CU_ASSERT_EQUAL(pkt.sport, 5353);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.ipv4, 2);
	CU_ASSERT_EQUAL(st.vxlan, 1);

	/* VXLAN carrying ICMP: an ICMP frame, not a UDP one */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_vxlan_icmp), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_ICMPV4 | PKT_TUNNELED);
	CU_ASSERT_EQUAL(pkt.icmp_id, 1);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(st.icmpv4, 1);
	CU_ASSERT_EQUAL(st.vxlan, 1);
}

static void test_gtpu(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_gtpu), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_GTP);
	/* 8 bytes, sequence word, one 4-byte extension header */
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 16);
	CU_ASSERT_EQUAL(st.udp, 1);

	/* not a G-PDU (echo request): plain UDP */
	{
		size_t n = load(pkt_gtpu, raw);

		raw[43] = 1;
		reset();
		CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
		CU_ASSERT_EQUAL(pkt.ntunnels, 0);
		CU_ASSERT_EQUAL(pkt.dport, 2152);
		CU_ASSERT_EQUAL(st.tcp, 0);
		CU_ASSERT_EQUAL(st.udp, 1);
	}
}

static void test_teredo(void)
{
	/* origin indication, then IPv6 carrying ICMPv6: not a UDP frame */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_teredo), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_ICMPV6 | PKT_TUNNELED);
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_TEREDO);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 8);
	CU_ASSERT_EQUAL(pkt.icmp_type, 128);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8::1");
	CU_ASSERT_EQUAL(st.icmpv6, 1);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_teredo_udp), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_UDP | PKT_TUNNELED);
	CU_ASSERT_STRING_EQUAL(SRC(), "2001:db8::1");
	CU_ASSERT_EQUAL(pkt.sport, 1000);
	CU_ASSERT_EQUAL(pkt.dport, 2000);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(st.ipv6, 1);
}

static void test_capwap(void)
{
	/* 802.11 (Cisco byte order), LLC/SNAP, IPv4, TCP */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_capwap), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(pkt.tunnel[0].kind, TUNNEL_CAPWAP);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 20 + 8 + 16 + 24 + 8);
	CU_ASSERT_EQUAL(st.udp, 1);

	/* 802.3 payload */
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_capwap_eth), 0);
	check_inner_ssh();
	CU_ASSERT_EQUAL(st.ethernet, 2);
}

static void test_pppoe(void)
{
	size_t n;

	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_pppoe), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
	CU_ASSERT_EQUAL(pkt.payload_len, 6);
	/* Ethernet padding: the PPPoE length ends the frame */
	n = load(pkt_pppoe, raw);
	memset(raw + n, 0, 8);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n + 8), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV4 | PKT_UDP);
	CU_ASSERT_STRING_EQUAL(SRC(), "100.64.0.1");
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 8);
	CU_ASSERT_EQUAL(pkt.sport, 7000);
	CU_ASSERT_EQUAL(pkt.payload_len, 6);
	CU_ASSERT_EQUAL(pkt.ntunnels, 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(st.udp, 2);

	/* LCP: counted, not decoded */
	n = load(pkt_pppoe, raw);
	raw[20] = 0xc0;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(st.other_l3, 1);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, 14 + 4), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_PPPOE_PKT_TOO_SMALL));
}

static void test_fabricpath(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_fabricpath), 0);
	check_inner_syn();
	CU_ASSERT_EQUAL(pkt.vlan_count, 1);
	CU_ASSERT_EQUAL(pkt.vlan[0], 7);
	CU_ASSERT_EQUAL(pkt.l3_off, 14 + 2 + 14 + 4);
	CU_ASSERT_EQUAL(st.ethernet, 2);
}

static void test_chdlc(void)
{
	static const uint8_t hdr[4] = { 0x0f, 0x00, 0x08, 0x00 };
	size_t n = load(raw_v4, raw + 4);

	reset();
	memcpy(raw, hdr, 4);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_C_HDLC, raw, n + 4), 0);
	check_raw_v4();
	CU_ASSERT_EQUAL(pkt.l3_off, 4);
	CU_ASSERT_EQUAL(st.udp, 1);
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_C_HDLC, raw, 3), -EINVAL);
	CU_ASSERT(has_event(DECODE_EV_CHDLC_PKT_TOO_SMALL));
}

/* ---- ICMPv6 ---- */

static void test_icmpv6(void)
{
	reset();
	CU_ASSERT_EQUAL(decode_eth(pkt_icmp6_echo), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_ICMPV6);
	CU_ASSERT_EQUAL(pkt.proto, 58);
	CU_ASSERT_EQUAL(pkt.icmp_type, 128);
	CU_ASSERT_EQUAL(pkt.icmp_id, 0x77);
	CU_ASSERT_EQUAL(pkt.icmp_seq, 3);
	CU_ASSERT_EQUAL(st.icmpv6, 1);

	CU_ASSERT_EQUAL(decode_eth(pkt_icmp6_err), 0);
	CU_ASSERT_EQUAL(pkt.flags, PKT_IPV6 | PKT_ICMPV6 | PKT_HAS_ICMP_INNER);
	CU_ASSERT_EQUAL(pkt.icmp_type, 1);
	CU_ASSERT_EQUAL(pkt.icmp_code, 4);
	CU_ASSERT_EQUAL(pkt.inner_ip_ver, 6);
	CU_ASSERT_EQUAL(pkt.inner_proto, 17);
	CU_ASSERT_STRING_EQUAL(addr(6, &pkt.inner_src), "2001:db8::2");
	CU_ASSERT_STRING_EQUAL(addr(6, &pkt.inner_dst), "2001:db8::1");
	CU_ASSERT_EQUAL(pkt.inner_sport, 1000);
	CU_ASSERT_EQUAL(pkt.inner_dport, 2000);
	CU_ASSERT_EQUAL(st.icmpv6, 2);
	CU_ASSERT_EQUAL(st.ipv6, 2);
	CU_ASSERT_EQUAL(st.udp, 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
}

/* ---- checksums ---- */

static const char *const good_pkts[] = {
	pkt_tcp_syn, pkt_tcp_sack, pkt_udp, pkt_icmp_echo, pkt_icmp_err,
	pkt_v6_hbh, pkt_v6_rt, pkt_v6_do, pkt_v6_ah, pkt_v6_chain,
	pkt_icmp6_echo, pkt_icmp6_err, pkt_gre, pkt_vlan, pkt_4in4, pkt_6in6,
	pkt_v4_frag1, pkt_v4_frag2, pkt_v6_frag1,
};

static void test_checksum_valid(void)
{
	reset();
	cfg.checksum_validate = true;
	for (size_t i = 0; i < sizeof(good_pkts) / sizeof(good_pkts[0]); i++) {
		CU_ASSERT_EQUAL(decode_eth(good_pkts[i]), 0);
		CU_ASSERT(!(pkt.flags & PKT_CSUM_BAD));
		CU_ASSERT_EQUAL(pkt.nevents, 0);
	}
}

/* flip one byte at off; with validation the event ev, without nothing */
static void check_bad_csum(const char *hex, size_t off, enum decode_event ev)
{
	size_t n = load(hex, raw);

	CU_ASSERT_FATAL(off < n);
	raw[off] ^= 0x5a;
	reset();
	cfg.checksum_validate = true;
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(pkt.flags & PKT_CSUM_BAD);
	CU_ASSERT(!(pkt.flags & PKT_INVALID));
	CU_ASSERT(has_event(ev));
	CU_ASSERT_EQUAL(st.events[ev], 1);
	CU_ASSERT_EQUAL(st.invalid, 0);
	CU_ASSERT_EQUAL(st.tcp + st.udp + st.icmpv4 + st.icmpv6, 1);

	reset();
	CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
	CU_ASSERT(!(pkt.flags & PKT_CSUM_BAD));
	CU_ASSERT_EQUAL(pkt.nevents, 0);
}

static void test_checksum_bad(void)
{
	check_bad_csum(pkt_tcp_syn, 24, DECODE_EV_IPV4_CSUM_INVALID);   /* ip csum */
	check_bad_csum(pkt_tcp_syn, 14 + 8, DECODE_EV_IPV4_CSUM_INVALID); /* ttl */
	check_bad_csum(pkt_tcp_syn, 50, DECODE_EV_TCP_CSUM_INVALID);    /* tcp csum */
	check_bad_csum(pkt_tcp_sack, 90, DECODE_EV_TCP_CSUM_INVALID);   /* payload */
	check_bad_csum(pkt_udp, 45, DECODE_EV_UDP_CSUM_INVALID);
	check_bad_csum(pkt_icmp_echo, 45, DECODE_EV_ICMPV4_CSUM_INVALID);
	check_bad_csum(pkt_v6_hbh, 14 + 48 + 8 + 3, DECODE_EV_UDP_CSUM_INVALID);
	check_bad_csum(pkt_v6_chain, 14 + 8, DECODE_EV_TCP_CSUM_INVALID); /* src addr */
	check_bad_csum(pkt_icmp6_echo, 14 + 40 + 5, DECODE_EV_ICMPV6_CSUM_INVALID);

	/* UDP over IPv4 without a checksum (0) is fine */
	{
		size_t n = load(pkt_udp, raw);

		raw[40] = raw[41] = 0;
		reset();
		cfg.checksum_validate = true;
		CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
		CU_ASSERT(!(pkt.flags & PKT_CSUM_BAD));
		/* but over IPv6 it is not */
		n = load(pkt_v6_hbh, raw);
		raw[14 + 48 + 6] = raw[14 + 48 + 7] = 0;
		CU_ASSERT_EQUAL(decode_buf(LINKTYPE_ETHERNET, raw, n), 0);
		CU_ASSERT(has_event(DECODE_EV_UDP_CSUM_INVALID));
	}
}

static uint16_t ref_csum(const uint8_t *b, size_t n)
{
	uint32_t s = 0;

	for (size_t i = 0; i < n; i += 2)
		s += (uint32_t)b[i] << 8 | (i + 1 < n ? b[i + 1] : 0);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void test_inet_csum(void)
{
	/* RFC 1071 section 3: the sum of these words is ddf2 */
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[300];
	uint32_t seed = 12345;

	CU_ASSERT_EQUAL(inet_csum(rfc, 8, 0), (uint16_t)~0xddf2);
	CU_ASSERT_EQUAL(inet_csum_fold(inet_csum_partial(rfc, 8, 0)), (uint16_t)~0xddf2);
	CU_ASSERT_EQUAL(inet_csum_fold(inet_csum_partial(rfc + 4, 4,
							 inet_csum_partial(rfc, 4, 0))),
			(uint16_t)~0xddf2);
	CU_ASSERT_EQUAL(inet_csum(rfc, 8, 0x1234), ref_csum(rfc, 8) - 0x1234);
	CU_ASSERT_EQUAL(inet_csum(rfc, 0, 0), 0xffff);

	for (int t = 0; t < 2000; t++) {
		size_t n, start;

		for (size_t i = 0; i < sizeof(buf); i++) {
			seed = seed * 1103515245 + 12345;
			buf[i] = (uint8_t)(seed >> 16);
		}
		n = (size_t)(seed >> 8) % 257;
		start = (size_t)(seed >> 4) % 8;   /* unaligned too */
		CU_ASSERT_EQUAL(inet_csum(buf + start, n, 0), ref_csum(buf + start, n));
		if (n >= 2) {
			size_t half = (n / 2) & ~(size_t)1;
			uint32_t s = inet_csum_partial(buf + start, half, 0);

			CU_ASSERT_EQUAL(inet_csum(buf + start + half, n - half, s),
					ref_csum(buf + start, n));
		}
	}

	/* an IPv4 header with its checksum in place sums to 0 */
	load(pkt_tcp_syn, raw);
	CU_ASSERT_EQUAL(inet_csum(raw + 14, 20, 0), 0);
	raw[24] = raw[25] = 0;
	CU_ASSERT_EQUAL(inet_csum(raw + 14, 20, 0), 0x9cd5);
}

/* ---- flow hash, addresses, names, stats ---- */

static void test_flow_hash_symmetric(void)
{
	struct packet a, b;
	uint32_t seed = 99, buckets[64] = { 0 };
	double chi2 = 0;
	const unsigned nflows = 64 * 1024;

	/* a real SYN and its SYN-ACK-like reply */
	reset();
	decode_eth(pkt_tcp_syn);
	a = pkt;
	decode_eth(pkt_tcp_sack);
	b = pkt;
	CU_ASSERT_NOT_EQUAL(packet_flow_hash(&a), 0);
	CU_ASSERT_EQUAL(packet_flow_hash(&a), packet_flow_hash(&b));
	b.dport = 40001;
	CU_ASSERT_NOT_EQUAL(packet_flow_hash(&a), packet_flow_hash(&b));

	/* random tuples, v4 and v6: symmetric, and spread evenly */
	for (unsigned i = 0; i < nflows; i++) {
		uint32_t h;

		memset(&a, 0, sizeof(a));
		a.ip_ver = (i & 1) ? 6 : 4;
		a.flags = (i & 1) ? PKT_IPV6 : PKT_IPV4;
		a.proto = (i & 2) ? 6 : 17;
		for (int k = 0; k < (a.ip_ver == 4 ? 1 : 4); k++) {
			seed = seed * 1664525 + 1013904223;
			a.src.w[k] = seed;
			seed = seed * 1664525 + 1013904223;
			a.dst.w[k] = seed;
		}
		if (i & 4)   /* same host pair, ports differ */
			a.dst = a.src;
		seed = seed * 1664525 + 1013904223;
		a.sport = (uint16_t)seed;
		a.dport = (uint16_t)(seed >> 16);
		b = a;
		b.src = a.dst;
		b.dst = a.src;
		b.sport = a.dport;
		b.dport = a.sport;
		h = packet_flow_hash(&a);
		CU_ASSERT_EQUAL_FATAL(h, packet_flow_hash(&b));
		buckets[h % 64]++;
	}
	/* chi-square with 63 degrees of freedom: mean 63, and above 120
	 * with probability about 1e-5 for a uniform hash */
	for (int i = 0; i < 64; i++) {
		double e = nflows / 64.0, dlt = buckets[i] - e;

		chi2 += dlt * dlt / e;
	}
	CU_ASSERT(chi2 < 120.0);

	/* ICMP echo and reply */
	decode_eth(pkt_icmp_echo);
	a = pkt;
	b = a;
	b.src = a.dst;
	b.dst = a.src;
	CU_ASSERT_EQUAL(packet_flow_hash(&a), packet_flow_hash(&b));
}

static const char *v6str(const char *in)
{
	static char out[64];
	union ip_addr a;

	CU_ASSERT_FATAL(inet_pton(AF_INET6, in, a.b) == 1);
	return ip_addr_str(6, &a, out, sizeof(out));
}

static void test_ip_addr_str(void)
{
	union ip_addr a = { .b = { 192, 0, 2, 255 } };
	char small[8];

	CU_ASSERT_STRING_EQUAL(addr(4, &a), "192.0.2.255");
	memset(&a, 0, sizeof(a));
	CU_ASSERT_STRING_EQUAL(addr(4, &a), "0.0.0.0");
	CU_ASSERT_STRING_EQUAL(v6str("::"), "::");
	CU_ASSERT_STRING_EQUAL(v6str("::1"), "::1");
	CU_ASSERT_STRING_EQUAL(v6str("1::"), "1::");
	CU_ASSERT_STRING_EQUAL(v6str("2001:0DB8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
	CU_ASSERT_STRING_EQUAL(v6str("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	CU_ASSERT_STRING_EQUAL(v6str("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
	CU_ASSERT_STRING_EQUAL(v6str("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	CU_ASSERT_STRING_EQUAL(v6str("2001:db8::abcd:ef"), "2001:db8::abcd:ef");
	CU_ASSERT_STRING_EQUAL(v6str("fe80::"), "fe80::");
	CU_ASSERT_STRING_EQUAL(v6str("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
	CU_ASSERT_STRING_EQUAL(v6str("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
	CU_ASSERT_STRING_EQUAL(v6str("0:1:2:3:4:5:6:0"), "0:1:2:3:4:5:6:0");
	CU_ASSERT_STRING_EQUAL(v6str("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
			       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	CU_ASSERT_STRING_EQUAL(v6str("::ffff:192.0.2.1"), "::ffff:192.0.2.1");
	/* truncated, still terminated */
	CU_ASSERT_STRING_EQUAL(ip_addr_str(4, &(union ip_addr){ .b = { 192, 168, 100, 200 } },
					   small, sizeof(small)), "192.168");
	CU_ASSERT_STRING_EQUAL(ip_addr_str(5, &a, small, sizeof(small)), "");
}

static void test_event_names(void)
{
	CU_ASSERT_STRING_EQUAL(decode_event_name(DECODE_EV_IPV4_TRUNC_PKT), "ipv4.trunc_pkt");
	CU_ASSERT_STRING_EQUAL(decode_event_name(DECODE_EV_TOO_MANY_LAYERS),
			       "decoder.too_many_layers");
	CU_ASSERT_STRING_EQUAL(decode_event_name(DECODE_EV_MAX), "unknown");
	for (int e = 0; e < DECODE_EV_MAX; e++)
		CU_ASSERT_PTR_NOT_NULL(strchr(decode_event_name((enum decode_event)e), '.'));
	CU_ASSERT(decode_event_fatal(DECODE_EV_TCP_PKT_TOO_SMALL));
	CU_ASSERT(!decode_event_fatal(DECODE_EV_TCP_CSUM_INVALID));
	CU_ASSERT(!decode_event_fatal(DECODE_EV_IPV4_TRUNC_PKT));
	CU_ASSERT(!decode_event_fatal(DECODE_EV_MAX));
}

static void test_stats_add(void)
{
	struct decode_stats a, b;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.pkts = 3;
	a.tcp = 2;
	a.max_pkt_size = 1500;
	a.events[DECODE_EV_MAX - 1] = 1;
	b.pkts = 4;
	b.udp = 1;
	b.max_pkt_size = 9000;
	b.events[DECODE_EV_MAX - 1] = 2;
	decode_stats_add(&a, &b);
	CU_ASSERT_EQUAL(a.pkts, 7);
	CU_ASSERT_EQUAL(a.tcp, 2);
	CU_ASSERT_EQUAL(a.udp, 1);
	CU_ASSERT_EQUAL(a.max_pkt_size, 9000);
	CU_ASSERT_EQUAL(a.events[DECODE_EV_MAX - 1], 3);
	b.max_pkt_size = 100;
	decode_stats_add(&a, &b);
	CU_ASSERT_EQUAL(a.max_pkt_size, 9000);
}

/* a packet decoded after a tunneled one keeps nothing of it */
static void test_reset_between_packets(void)
{
	reset();
	decode_eth(pkt_vxlan);
	pkt.hash = 77;
	CU_ASSERT_EQUAL(pkt.ntunnels, 1);
	/* decode into the same struct, no garbage fill this time */
	load(pkt_arp, raw);
	free(cur);
	cur = malloc(42);
	memcpy(cur, raw, 42);
	pkt.data = cur;
	pkt.caplen = pkt.wirelen = 42;
	CU_ASSERT_EQUAL(decode_packet(&cfg, &pkt, &st), -EPROTONOSUPPORT);
	CU_ASSERT_EQUAL(pkt.flags, 0);
	CU_ASSERT_EQUAL(pkt.ntunnels, 0);
	CU_ASSERT_EQUAL(pkt.ip_ver, 0);
	CU_ASSERT_EQUAL(pkt.sport, 0);
	CU_ASSERT_EQUAL(pkt.dport, 0);
	CU_ASSERT_EQUAL(pkt.proto, 0);
	CU_ASSERT_EQUAL(pkt.l3_off, 0);
	CU_ASSERT_EQUAL(pkt.payload_len, 0);
	CU_ASSERT_EQUAL(pkt.tcp_flags, 0);
	CU_ASSERT_EQUAL(pkt.nevents, 0);
	CU_ASSERT_EQUAL(pkt.hash, 0);
	CU_ASSERT_EQUAL(pkt.src.q[0] | pkt.src.q[1], 0);
	CU_ASSERT_EQUAL(pkt.layers, 1);
}

/* ---- robustness ---- */

struct sample {
	int linktype;
	const char *hex;
	/* a UDP tunnel is recognised by its content: cut short, it is just
	 * UDP, so a cut inside its headers need not be invalid */
	bool soft;
};

static const struct sample samples[] = {
	{ LINKTYPE_ETHERNET, pkt_tcp_syn, false }, { LINKTYPE_ETHERNET, pkt_tcp_sack, false },
	{ LINKTYPE_ETHERNET, pkt_udp, false }, { LINKTYPE_ETHERNET, pkt_icmp_echo, false },
	{ LINKTYPE_ETHERNET, pkt_icmp_err, false }, { LINKTYPE_ETHERNET, pkt_v6_hbh, false },
	{ LINKTYPE_ETHERNET, pkt_v6_rt, false }, { LINKTYPE_ETHERNET, pkt_v6_do, false },
	{ LINKTYPE_ETHERNET, pkt_v6_ah, false }, { LINKTYPE_ETHERNET, pkt_v6_chain, false },
	{ LINKTYPE_ETHERNET, pkt_v6_frag1, false }, { LINKTYPE_ETHERNET, pkt_v6_frag2, false },
	{ LINKTYPE_ETHERNET, pkt_v4_frag1, false }, { LINKTYPE_ETHERNET, pkt_v4_frag2, false },
	{ LINKTYPE_ETHERNET, pkt_vlan, false }, { LINKTYPE_ETHERNET, pkt_qinq, false },
	{ LINKTYPE_ETHERNET, pkt_qinq9100, false }, { LINKTYPE_ETHERNET, pkt_mpls, false },
	{ LINKTYPE_ETHERNET, pkt_gre, false }, { LINKTYPE_ETHERNET, pkt_gre_teb, false },
	{ LINKTYPE_ETHERNET, pkt_erspan2, false }, { LINKTYPE_ETHERNET, pkt_vxlan, false },
	{ LINKTYPE_ETHERNET, pkt_4in4, false }, { LINKTYPE_ETHERNET, pkt_6in4, false },
	{ LINKTYPE_ETHERNET, pkt_6in6, false }, { LINKTYPE_ETHERNET, pkt_icmp6_echo, false },
	{ LINKTYPE_ETHERNET, pkt_icmp6_err, false }, { LINKTYPE_RAW, raw_v4, false },
	{ LINKTYPE_RAW, raw_v6, false }, { LINKTYPE_LINUX_SLL, pkt_sll, false },
	{ LINKTYPE_LINUX_SLL2, pkt_sll2, false }, { LINKTYPE_ETHERNET, pkt_ipopt_ok, false },
	{ LINKTYPE_ETHERNET, pkt_pptp, false }, { LINKTYPE_ETHERNET, pkt_erspan3, false },
	{ LINKTYPE_ETHERNET, pkt_mpls_pw, false }, { LINKTYPE_ETHERNET, pkt_arp, false },
	{ LINKTYPE_ETHERNET, pkt_vxlan_udp, false }, { LINKTYPE_ETHERNET, pkt_vxlan_icmp, false },
	{ LINKTYPE_ETHERNET, pkt_gtpu, true }, { LINKTYPE_ETHERNET, pkt_teredo, true },
	{ LINKTYPE_ETHERNET, pkt_teredo_udp, true }, { LINKTYPE_ETHERNET, pkt_capwap, true },
	{ LINKTYPE_ETHERNET, pkt_capwap_eth, true }, { LINKTYPE_ETHERNET, pkt_pppoe, false },
	{ LINKTYPE_ETHERNET, pkt_fabricpath, false },
};
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* what must hold after any decode, valid input or not */
static void check_invariants(int rc, uint64_t invalid_before)
{
	CU_ASSERT(rc == 0 || rc == -EINVAL || rc == -EPROTONOSUPPORT);
	CU_ASSERT(pkt.nevents <= sizeof(pkt.events));
	CU_ASSERT(pkt.l3_off <= pkt.caplen);
	CU_ASSERT(pkt.l4_off <= pkt.caplen);
	CU_ASSERT((uint32_t)pkt.payload_off + pkt.payload_len <= pkt.caplen);
	CU_ASSERT(pkt.ntunnels <= DECODE_MAX_TUNNELS);
	if (rc == -EINVAL) {
		CU_ASSERT(pkt.flags & PKT_INVALID);
		CU_ASSERT(pkt.nevents > 0);
		CU_ASSERT_EQUAL(st.invalid, invalid_before + 1);
	} else {
		CU_ASSERT(!(pkt.flags & PKT_INVALID));
		CU_ASSERT_EQUAL(st.invalid, invalid_before);
	}
	if (rc == 0)
		CU_ASSERT(pkt.ip_ver == 4 || pkt.ip_ver == 6);
	for (unsigned i = 0; i < pkt.nevents && i < sizeof(pkt.events); i++)
		CU_ASSERT(pkt.events[i] < DECODE_EV_MAX && st.events[pkt.events[i]] > 0);
}

/*
 * Every sample cut at every length: inside the headers the packet is
 * invalid with an event; past them (a cut payload) it is decoded and
 * marked truncated.
 */
static void test_truncation(void)
{
	uint8_t full[2048];

	for (size_t s = 0; s < NSAMPLES; s++) {
		size_t n = load(samples[s].hex, full);
		uint16_t hdr_end;
		bool is_ip;
		int rc;

		reset();
		rc = decode_buf(samples[s].linktype, full, n);
		is_ip = rc == 0;
		CU_ASSERT(rc == 0 || samples[s].hex == pkt_arp);
		/* where the last header ends; a TCP header whose options
		 * are cut is still usable once its fixed 20 bytes are there */
		hdr_end = pkt.payload_off ? pkt.payload_off : (uint16_t)n;
		if ((pkt.flags & PKT_TCP) && pkt.l4_off + 20 < hdr_end)
			hdr_end = (uint16_t)(pkt.l4_off + 20);
		for (size_t len = 0; len < n; len++) {
			uint64_t inv = st.invalid, pkts = st.pkts;

			rc = decode_buf(samples[s].linktype, full, len);
			check_invariants(rc, inv);
			CU_ASSERT_EQUAL(st.pkts, pkts + 1);
			if (!is_ip || samples[s].soft)
				continue;
			if (len < hdr_end) {
				if (rc != -EINVAL)
					fprintf(stderr, "\nsample %zu cut at %zu: rc %d\n", s,
						len, rc);
				CU_ASSERT_EQUAL(rc, -EINVAL);
			} else {
				CU_ASSERT_EQUAL(rc, 0);
				CU_ASSERT(pkt.flags & PKT_TRUNCATED);
				CU_ASSERT(has_event(DECODE_EV_IPV4_TRUNC_PKT) ||
					  has_event(DECODE_EV_IPV6_TRUNC_PKT));
			}
		}
	}
}

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
	/* xorshift32: deterministic, so a failure can be replayed */
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static void test_fuzz(void)
{
	static const uint8_t interesting[] = {
		0x00, 0x01, 0x02, 0x04, 0x06, 0x08, 0x11, 0x29, 0x2f, 0x3a, 0x40,
		0x45, 0x4f, 0x60, 0x81, 0x86, 0x88, 0xdd, 0xff, 0x2c, 0x33, 0x3c,
	};
	static const int linktypes[] = {
		LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2,
		LINKTYPE_NULL_BSD, LINKTYPE_LOOP, LINKTYPE_IPV4, LINKTYPE_IPV6,
		LINKTYPE_C_HDLC,
	};
	uint8_t full[2048], mut[2048];
	unsigned runs = 0;

	reset();
	for (size_t s = 0; s < NSAMPLES; s++) {
		size_t n = load(samples[s].hex, full);

		for (int it = 0; it < 3000; it++) {
			size_t len = n;
			int nmut = 1 + (int)(rng() % 4), rc;
			uint64_t inv = st.invalid;

			memcpy(mut, full, n);
			for (int m = 0; m < nmut; m++) {
				size_t pos = rng() % n;

				if (rng() & 1)
					mut[pos] = interesting[rng() % sizeof(interesting)];
				else
					mut[pos] ^= (uint8_t)(1u << (rng() % 8));
			}
			if (rng() % 4 == 0)
				len = rng() % (n + 1);
			cfg.checksum_validate = rng() & 1;
			cfg.max_layers = rng() % 8 == 0 ? rng() % 6 : 16;
			cfg.vxlan_port = rng() % 8 == 0 ? (uint16_t)(rng() % 5000) : 4789;
			rc = decode_buf(samples[s].linktype, mut, len);
			check_invariants(rc, inv);
			(void)packet_flow_hash(&pkt);
			runs++;
		}
	}
	/* pure noise, every link type */
	for (int it = 0; it < 20000; it++) {
		size_t len = rng() % 200;
		int rc;
		uint64_t inv = st.invalid;

		for (size_t i = 0; i < len; i++)
			mut[i] = (rng() & 3) ? (uint8_t)rng() : interesting[rng() % sizeof(interesting)];
		rc = decode_buf(linktypes[rng() % (sizeof(linktypes) / sizeof(linktypes[0]))],
				mut, len);
		check_invariants(rc, inv);
		runs++;
	}
	CU_ASSERT_EQUAL(st.pkts, runs);
}

static int suite_cleanup(void)
{
	free(cur);
	cur = NULL;
	return 0;
}

static const struct test_case decode_cases[] = {
	{ "tcp syn options", test_tcp_syn_options },
	{ "tcp sack and timestamps", test_tcp_sack },
	{ "tcp bad options and header lengths", test_tcp_bad_options },
	{ "l4 counted from 4 bytes (tshark)", test_l4_counting_threshold },
	{ "udp", test_udp },
	{ "ipv4 options", test_ipv4_options },
	{ "ipv4 bad headers", test_ipv4_bad_headers },
	{ "icmp echo", test_icmp_echo },
	{ "icmp error quotes", test_icmp_error_inner },
	{ "ipv6 extension headers", test_ipv6_exthdrs },
	{ "ipv6 bad headers", test_ipv6_bad },
	{ "ipv6 fragments", test_ipv6_fragments },
	{ "ipv4 fragments", test_ipv4_fragments },
	{ "vlan", test_vlan },
	{ "qinq", test_qinq },
	{ "vlan limits", test_vlan_limits },
	{ "mpls", test_mpls },
	{ "mpls bad", test_mpls_bad },
	{ "arp and unknown ethertypes", test_other_l3 },
	{ "gre", test_gre },
	{ "gre bad", test_gre_bad },
	{ "pptp enhanced gre", test_pptp },
	{ "erspan", test_erspan },
	{ "vxlan", test_vxlan },
	{ "ip in ip", test_ipip },
	{ "nesting limits", test_nesting_limit },
	{ "linux sll and sll2", test_sll },
	{ "raw ip link types", test_raw },
	{ "bsd null and openbsd loop", test_null_loop },
	{ "frame-level tcp/udp counting", test_frame_counting },
	{ "gtp-u", test_gtpu },
	{ "teredo", test_teredo },
	{ "capwap", test_capwap },
	{ "pppoe", test_pppoe },
	{ "cisco fabricpath", test_fabricpath },
	{ "cisco hdlc", test_chdlc },
	{ "icmpv6", test_icmpv6 },
	{ "checksums valid", test_checksum_valid },
	{ "checksums bad", test_checksum_bad },
	{ "inet_csum", test_inet_csum },
	{ "flow hash", test_flow_hash_symmetric },
	{ "ip_addr_str", test_ip_addr_str },
	{ "event names", test_event_names },
	{ "stats add", test_stats_add },
	{ "reset between packets", test_reset_between_packets },
	{ "truncation at every length", test_truncation },
	{ "mutation fuzz", test_fuzz },
	{ NULL, NULL }
};

const struct test_suite test_suites[] = {
	{ "decode", NULL, suite_cleanup, decode_cases },
	{ NULL, NULL, NULL, NULL }
};
