/* cgroup v2 has no devices.allow: the kernel asks an eBPF program attached to the cgroup
 * (BPF_CGROUP_DEVICE) about every open and mknod of a device node. The program is a list
 * of rule blocks checked from the last rule to the first; the first block that matches
 * returns its verdict, and falling off the end denies. */
#include "run/cgroup/devices_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/util.h"

/* ctx: struct bpf_cgroup_dev_ctx { u32 access_type (access << 16 | type); u32 major, minor; } */
#define R0 0
#define R1 1
#define R2 2 /* device type */
#define R3 3 /* access asked */
#define R4 4 /* major */
#define R5 5 /* minor */

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	struct bpf_insn i;
	memset(&i, 0, sizeof(i));
	i.code = code;
	i.dst_reg = dst & 0xf;
	i.src_reg = src & 0xf;
	i.off = off;
	i.imm = imm;
	return i;
}

/* Whether a rule's block tests the access asked: not for one that allows every access
 * (rwm), whose test could never fail (runc's filter leaves it out too). Of the 12 rules of
 * the default list 9 are such: the filter has 69 instructions instead of 96, and the
 * verifier processes 209 instead of 290 (23 states instead of 32). */
static bool tests_access(const oci_device_rule *r)
{
	return !r->allow || (r->access & 7u) != 7u;
}

/* Instructions of one rule's block, the jumps to its end included. */
static size_t rule_len(const oci_device_rule *r)
{
	return (r->type != 'a') + 3 * tests_access(r) + (r->major >= 0) + (r->minor >= 0) + 2;
}

int oci_devices_bpf_attach(const char *cgroup_dir, const oci_device_rule *rules, size_t n,
			   oci_error *err)
{
	size_t cap = 8 + 2;
	for (size_t i = 0; i < n; i++)
		cap += rule_len(&rules[i]);
	if (cap > 4000)
		return oci_err(err, OCI_E_LIMIT, "linux.resources.devices: too many rules");
	cleanup_free struct bpf_insn *p = oci_calloc(cap, sizeof(*p), err);
	if (!p)
		return -1;
	size_t k = 0;
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
	p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R3, R1, 0, 0);
	p[k++] = insn(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);
	for (size_t j = n; j-- > 0;) {
		const oci_device_rule *r = &rules[j];
		size_t end = k + rule_len(r);
#define TO_END ((int16_t)(end - (k + 1)))
		if (r->type != 'a') {
			p[k] = insn(BPF_JMP | BPF_JNE | BPF_K, R2, 0, TO_END,
				    r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
			k++;
		}
		if (tests_access(r)) {
			p[k++] = insn(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
			if (r->allow) {
				/* every access asked must be in the rule */
				p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0,
					      (int32_t)(~r->access & 7u));
				p[k] = insn(BPF_JMP | BPF_JNE | BPF_K, R1, 0, TO_END, 0);
			} else {
				/* any access the rule names is refused */
				p[k++] =
				    insn(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)r->access);
				p[k] = insn(BPF_JMP | BPF_JEQ | BPF_K, R1, 0, TO_END, 0);
			}
			k++;
		}
		if (r->major >= 0) {
			p[k] = insn(BPF_JMP | BPF_JNE | BPF_K, R4, 0, TO_END, (int32_t)r->major);
			k++;
		}
		if (r->minor >= 0) {
			p[k] = insn(BPF_JMP | BPF_JNE | BPF_K, R5, 0, TO_END, (int32_t)r->minor);
			k++;
		}
#undef TO_END
		p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0);
		p[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
	p[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);

	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p;
	attr.insn_cnt = (uint32_t)k;
	attr.license = (uint64_t)(uintptr_t) "Apache";
	cleanup_close int prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (prog < 0)
		return oci_err_errno(
		    err, errno,
		    "linux.resources.devices: cannot load the cgroup v2 device filter (eBPF)");
	cleanup_close int cg = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return oci_err_errno(err, errno, "linux.resources.devices: cannot open cgroup '%s'",
				     cgroup_dir);
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = (uint32_t)cg;
	attr.attach_bpf_fd = (uint32_t)prog;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) < 0)
		return oci_err_errno(
		    err, errno, "linux.resources.devices: cannot attach the device filter to '%s'",
		    cgroup_dir);
	return 0;
}
