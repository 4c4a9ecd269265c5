/* pngstat: what a screenshot shows, for tests/t_report.sh.
 *
 *   pngstat FILE.png
 *
 * Prints "W H INKED COLOURED": the image's size, its pixels that are not the white
 * background (any channel below 245), and those that are coloured (the channels differ
 * by more than 40: a plot's marks, not its grey frame and text). Reads PNGs with
 * stb_image (Debian's libstb-dev). Exit 1 when the file cannot be read. */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#include <stb/stb_image.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: pngstat FILE.png\n");
        return 2;
    }
    int w, h, ch;
    unsigned char *px = stbi_load(argv[1], &w, &h, &ch, 3);
    if (!px) {
        fprintf(stderr, "pngstat: %s: %s\n", argv[1], stbi_failure_reason());
        return 1;
    }
    long inked = 0, coloured = 0;
    for (long i = 0; i < (long)w * h; i++) {
        const unsigned char *p = px + 3 * i;
        int lo = p[0], hi = p[0];
        for (int k = 1; k < 3; k++) {
            lo = p[k] < lo ? p[k] : lo;
            hi = p[k] > hi ? p[k] : hi;
        }
        inked += lo < 245;
        coloured += hi - lo > 40;
    }
    printf("%d %d %ld %ld\n", w, h, inked, coloured);
    stbi_image_free(px);
    return 0;
}
