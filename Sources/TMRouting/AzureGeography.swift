/// Azure Traffic Manager's geographic hierarchy (its Geographic routing method's own table, not a geo database's
/// continents): WORLD → regional groupings → countries → states and provinces.
/// Source: "Country/Region hierarchy used by Azure Traffic Manager for geographic traffic routing method".
enum AzureGeography {
    /// Countries (ISO 3166-1 alpha-2, as Azure lists them) of each regional grouping.
    /// CG (Congo) is in GEO-AF as the page listed it until 2019; later revisions dropped it from the list.
    static let countriesByGrouping: [String: [String]] = [
        "GEO-AF": [
            "AO", "BF", "BI", "BJ", "BV", "BW", "CD", "CF", "CG", "CI", "CM", "CV", "DJ", "DZ", "EG", "ER", "ET", "GA",
            "GH", "GM", "GN", "GQ", "GW", "KE", "KM", "LR", "LS", "LY", "MA", "MG", "ML", "MR", "MU", "MW", "MZ", "NA",
            "NE", "NG", "RE", "RW", "SC", "SD", "SH", "SL", "SN", "SO", "SS", "ST", "SZ", "TD", "TF", "TG", "TN", "TZ",
            "UG", "YT", "ZA", "ZM", "ZW",
        ],
        "GEO-AN": ["AQ"],
        "GEO-AP": [
            "AS", "AU", "CK", "FJ", "FM", "GU", "HM", "KI", "MH", "MP", "NC", "NF", "NR", "NU", "NZ", "PF", "PG", "PN",
            "PW", "SB", "TK", "TO", "TV", "VU", "WF", "WS",
        ],
        "GEO-AS": [
            "AF", "AM", "AZ", "BD", "BN", "BT", "CC", "CN", "CX", "GE", "HK", "ID", "IN", "IO", "JP", "KG", "KH", "KP",
            "KR", "KZ", "LA", "LK", "MM", "MN", "MO", "MV", "MY", "NP", "PH", "PK", "SG", "TH", "TJ", "TL", "TM", "TW",
            "UZ", "VN",
        ],
        "GEO-EU": [
            "AD", "AL", "AT", "AX", "BA", "BE", "BG", "BY", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FO", "FR",
            "GB", "GG", "GI", "GR", "HR", "HU", "IE", "IM", "IS", "IT", "JE", "LI", "LT", "LU", "LV", "MC", "MD", "ME",
            "MK", "MT", "NL", "NO", "PL", "PT", "RO", "RS", "RU", "SE", "SI", "SJ", "SK", "SM", "UA", "VA", "XJ", "XK",
        ],
        "GEO-ME": ["AE", "BH", "IL", "IQ", "IR", "JO", "KW", "LB", "OM", "PS", "QA", "SA", "SY", "TR", "YE"],
        "GEO-NA": [
            "AG", "AI", "AW", "BB", "BL", "BM", "BQ", "BS", "BZ", "CA", "CR", "CU", "CW", "DM", "DO", "GD", "GL", "GP",
            "GT", "HN", "HT", "JM", "KN", "KY", "LC", "MF", "MQ", "MS", "MX", "NI", "PA", "PM", "PR", "SV", "SX", "TC",
            "TT", "UM", "US", "VC", "VG", "VI", "XE", "XS",
        ],
        "GEO-SA": ["AR", "BO", "BR", "CL", "CO", "EC", "FK", "GF", "GS", "GY", "PE", "PY", "SR", "UY", "VE"],
    ]

    /// States and provinces (as Azure lists them) of the countries that have them.
    /// Only Australia, Canada and the United States: the UK nations (GB-ENG, ...) were taken off the page in 2018.
    static let subdivisionsByCountry: [String: [String]] = [
        "AU": ["AU-ACT", "AU-NSW", "AU-NT", "AU-QLD", "AU-SA", "AU-TAS", "AU-VIC", "AU-WA"],
        // The UK nations were in Azure's table until 2018; edgetm keeps them, as operators ask for them.
        "GB": ["GB-ENG", "GB-NIR", "GB-SCT", "GB-WLS"],
        "CA": [
            "CA-AB", "CA-BC", "CA-MB", "CA-NB", "CA-NL", "CA-NS", "CA-NT", "CA-NU", "CA-ON", "CA-PE", "CA-QC", "CA-SK",
            "CA-YT",
        ],
        "US": [
            "US-AK", "US-AL", "US-AR", "US-AZ", "US-CA", "US-CO", "US-CT", "US-DC", "US-DE", "US-FL", "US-GA", "US-HI",
            "US-IA", "US-ID", "US-IL", "US-IN", "US-KS", "US-KY", "US-LA", "US-MA", "US-MD", "US-ME", "US-MI", "US-MN",
            "US-MO", "US-MS", "US-MT", "US-NC", "US-ND", "US-NE", "US-NH", "US-NJ", "US-NM", "US-NV", "US-NY", "US-OH",
            "US-OK", "US-OR", "US-PA", "US-RI", "US-SC", "US-SD", "US-TN", "US-TX", "US-UT", "US-VA", "US-VT", "US-WA",
            "US-WI", "US-WV", "US-WY",
        ],
    ]
}
