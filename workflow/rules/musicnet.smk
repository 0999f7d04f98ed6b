rule download_musicnet:
    """Fetch MusicNet's pinned files from Zenodo (resumable, md5-checked, moved into place only
    when they match; pins cross-checked against the record's own file list when reachable)."""
    input:
        code=code("download-musicnet"),
    output:
        archive="data/downloads/musicnet/musicnet.tar.gz",
        metadata="data/downloads/musicnet/musicnet_metadata.csv",
    params:
        url=musicnet_setting("url"),
        api=musicnet_setting("api"),
        record=musicnet_setting("record"),
        pins=musicnet_pin_flags,
        out=lambda wildcards, output: parent(output.archive),
    log:
        "results/logs/download_musicnet.log",
    shell:
        "electone-rave download-musicnet --out {params.out} --record {params.record}"
        " --url {params.url} --api {params.api} {params.pins} > {log} 2>&1"


rule extract_musicnet:
    """Extract the recordings the baseline trains on (split and ensembles from the config)."""
    input:
        archive=rules.download_musicnet.output.archive,
        metadata=rules.download_musicnet.output.metadata,
        code=code("extract-musicnet"),
    output:
        audio=directory("data/raw/musicnet"),
    params:
        subset=musicnet_subset_flags,
    log:
        "results/logs/extract_musicnet.log",
    shell:
        "electone-rave extract-musicnet --archive {input.archive} --metadata {input.metadata}"
        " --out {output.audio} {params.subset} > {log} 2>&1"
