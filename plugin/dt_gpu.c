/* dt_gpu: GPU count and memory, from the NVIDIA driver and nvidia-smi. */
#include "dt_gpu.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dt_util.h"

static const char *dt_gpu__smi(void)
{
    const char *s = getenv("DARKTUNE_NVIDIA_SMI");
    return s && s[0] ? s : "nvidia-smi";
}

/* Runs nvidia-smi with args (NULL-terminated, after argv[0]) and reads its stdout
 * into buf. Returns the bytes read, -1 when it could not run or did not exit 0. */
static int dt_gpu__run(char *const args[], char *buf, size_t n)
{
    int p[2];
    if (pipe(p) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]), close(p[1]);
        return -1;
    }
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) dup2(null, 0), dup2(null, 2);
        dup2(p[1], 1);
        close(p[0]), close(p[1]);
        char *argv[16] = {(char *)dt_gpu__smi()};
        for (int i = 0; args[i] && i < 14; i++) argv[i + 1] = args[i];
        execvp(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    size_t got = 0;
    ssize_t r;
    while ((r = read(p[0], buf + got, n - 1 - got)) > 0 && (got += (size_t)r) < n - 1) {}
    buf[got] = '\0';
    close(p[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? (int)got : -1;
}

/* nvidia-smi's list of GPUs: one index a line. */
static int dt_gpu__smi_count(void)
{
    char buf[4096];
    int n = 0;
    char *args[] = {"--query-gpu=index", "--format=csv,noheader", NULL};
    if (dt_gpu__run(args, buf, sizeof buf) < 0) return 0;
    for (char *s = strtok(buf, "\n"); s; s = strtok(NULL, "\n")) n += dt_trim(s)[0] != '\0';
    return n;
}

int dt_gpu_count(void)
{
    if (getenv("DARKTUNE_NVIDIA_SMI")) return dt_gpu__smi_count();
    /* One folder per GPU: no process to start, and nothing there without the driver.
     * Some sandboxes hide it while the GPU works: nvidia-smi is asked then. */
    int n = 0;
    DIR *d = opendir("/proc/driver/nvidia/gpus");
    struct dirent *e;
    while (d && (e = readdir(d))) n += e->d_name[0] != '.';
    if (d) closedir(d);
    return n ? n : dt_gpu__smi_count();
}

int dt_gpu_memory(int gpu, double *used_mib, double *total_mib)
{
    char buf[256], id[32];
    snprintf(id, sizeof id, "--id=%d", gpu);
    char *args[] = {"--query-gpu=memory.used,memory.total", "--format=csv,noheader,nounits", id, NULL};
    if (dt_gpu__run(args, buf, sizeof buf) < 0) return -1;
    char *comma = strchr(buf, ',');
    if (!comma) return -1;
    *comma = '\0';
    char *nl = strchr(comma + 1, '\n');
    if (nl) *nl = '\0';
    double u, t;
    if (dt_parse_double(buf, &u) != 0 || dt_parse_double(comma + 1, &t) != 0 || t <= 0) return -1;
    *used_mib = u;
    *total_mib = t;
    return 0;
}

void dt_gpu_pin_order(void)
{
    setenv("CUDA_DEVICE_ORDER", "PCI_BUS_ID", 0);
}
