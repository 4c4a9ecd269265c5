/* dt_gpu: what the machine's NVIDIA GPUs are and how much memory they hold.
 *
 * GPUs are numbered as nvidia-smi and the driver's /proc/driver/nvidia/gpus list them
 * (PCI bus order); dt_gpu_pin_order makes CUDA number them the same way in every
 * trial, since CUDA's own default puts the fastest first. Memory comes from
 * nvidia-smi. $DARKTUNE_NVIDIA_SMI names another nvidia-smi (the tests use a
 * stand-in); when it is set, the GPUs are counted by it too. */
#ifndef DT_GPU_H
#define DT_GPU_H

/* How many GPUs this machine has: /proc/driver/nvidia/gpus, else nvidia-smi's list;
 * 0 without the NVIDIA driver. */
int dt_gpu_count(void);

/* GPU gpu's memory in MiB: used by every process, and total. -1 when nvidia-smi
 * cannot say (not installed, no such GPU). */
int dt_gpu_memory(int gpu, double *used_mib, double *total_mib);

/* Sets CUDA_DEVICE_ORDER=PCI_BUS_ID for every child, unless the user set it. */
void dt_gpu_pin_order(void);

#endif
